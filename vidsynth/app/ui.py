"""Small pieces every tab shares: turning user errors into messages in the page, reading the class
picker, a progress callback that works with or without Gradio, and an offline look (system fonts
only, so the page never asks a font CDN for anything)."""
from __future__ import annotations

import functools
from typing import Callable

from vidsynth.errors import VidsynthError

RANDOM_CLASS = "random"
VIDEO_HEIGHT = 360         # px: videos are shown at this height, whatever their size

# Model outputs are small (16-256 px): show them large with sharp pixels, not a blurry upscale.
CSS = """
.vidsynth-note {font-size: 0.85em; opacity: 0.8}
video, .vidsynth-pixels img {image-rendering: pixelated}
.vidsynth-pixels img {width: 100% !important; height: 100% !important; object-fit: contain}
footer {display: none !important}
"""


def no_progress(fraction: float, desc: str | None = None) -> None:
    """The progress callback of plain Python calls (tests, scripts)."""


def parse_label(choice) -> int | str | None:
    """The class picker's value -> what ``sampler.labels`` takes: None (random), an index or a class name."""
    if choice in (None, "", RANDOM_CLASS):
        return None
    text = str(choice)
    return int(text) if text.isdigit() else text


def as_ui_error(fn: Callable) -> Callable:
    """Wrap a Gradio event handler: a user error (bad value, request too large) becomes a message in the
    page (``gr.Error``) instead of a traceback in the terminal."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import gradio as gr

        try:
            return fn(*args, **kwargs)
        except (VidsynthError, ValueError) as e:
            raise gr.Error(str(e)) from None
    return wrapper


def theme():
    """Gradio's default look with the system's fonts: no web font is loaded at all (Gradio's theme
    fonts are ``GoogleFont``s where a theme names them, fetched from fonts.googleapis.com unless bundled)."""
    import gradio as gr

    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])
