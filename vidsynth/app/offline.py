"""Gradio, imported with every call home switched off (analytics, Hugging Face Hub, telemetry), and a
one-line error naming the optional extra when it is missing. The app's blocks and its server both
import Gradio through here."""
from __future__ import annotations

import os

from vidsynth.errors import VidsynthError

OFFLINE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",     # no usage reports to api.gradio.app
    "HF_HUB_OFFLINE": "1",                   # huggingface_hub (a Gradio dependency) never connects
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}
MISSING = ("`vidsynth app` needs Gradio, the optional extra 'app': pip install 'vidsynth[app]' "
           "(or: pip install gradio)")

def require_gradio():
    """``import gradio`` with every call home switched off; a one-line error naming the extra if missing."""
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
    try:
        import gradio
    except ImportError:
        raise VidsynthError(MISSING) from None
    return gradio
