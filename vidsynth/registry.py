"""Model classes and samplers by name: what an exported ``config.json`` names and what rebuilds it.

``config.json`` of an exported model stores a class name (``"DIGANGenerator"``); ``MODEL_CLASSES``
maps it to the ``"module:attr"`` that builds it and ``SAMPLERS`` to the sampler ``vidsynth.load``
wraps it in. Entries are strings, imported only when used (``resolve``), so this table imports no
model code and any layer above the models may use it. Add one line per exportable model.
"""
from __future__ import annotations

import importlib

# class name -> "module:attr". Add one line per exportable model.
MODEL_CLASSES = {
    "DIGANGenerator": "vidsynth.models.digan.generator:DIGANGenerator",
    "StyleGAN2Generator": "vidsynth.models.stylegan2:StyleGAN2Generator",
    "BigGANGenerator": "vidsynth.models.biggan:BigGANGenerator",
    "MoCoGANHDVideoGenerator": "vidsynth.models.mocogan_hd.video_generator:MoCoGANHDVideoGenerator",
}

# class name -> "module:attr" of the sampler wrapping it for vidsynth.load().
SAMPLERS = {
    "DIGANGenerator": "vidsynth.models.digan.sampler:DIGANSampler",
    "MoCoGANHDVideoGenerator": "vidsynth.models.mocogan_hd.sampler:MoCoGANHDSampler",
    "StyleGAN2Generator": "vidsynth.models.image_sampler:ImageSampler",
    "BigGANGenerator": "vidsynth.models.image_sampler:ImageSampler",
}


def resolve(spec: str):
    """The object a ``"package.module:attr"`` spec names (imports the module on first use)."""
    module, attr = spec.split(":")
    return getattr(importlib.import_module(module), attr)


def model_class(class_name: str):
    """The model class registered under ``class_name`` (a name in ``MODEL_CLASSES``)."""
    return resolve(MODEL_CLASSES[class_name])


def sampler_class(class_name: str):
    """The sampler class that wraps a model of class ``class_name`` (a name in ``SAMPLERS``)."""
    return resolve(SAMPLERS[class_name])
