"""A modulated conv layer of a *frozen* StyleGAN2 with a lean autograd graph (MoCoGAN-HD's G_M step).

MoCoGAN-HD back-propagates through every layer of the frozen image generator to the frame latents
(``w -> style, demodulation -> activations``), but never into its weights. Autograd, op by op,
keeps four full-size tensors per StyledConv for that: the modulated input ``x * s`` (saved by the
conv, although a conv's input gradient needs only its weight), the conv output ``c`` (saved by the
demodulation), the pre-activation (saved by the leaky ReLU) and the output; plus three more
temporaries (noise, bias, gain). :class:`FrozenModulatedConv` runs the same ops -- modulation,
shared-weight conv (transposed, stride 2, + the [1,3,3,1] blur when upsampling), demodulation, then
in place noise + bias + leaky ReLU x sqrt(2) -- and saves only ``c`` and the output (its input ``x``
is the previous layer's output, saved there anyway): half the activation memory of a G_M step.

Its backward calls the same kernels autograd calls for these ops (``aten.convolution_backward`` with
only the input gradient requested, ``aten.leaky_relu_backward`` on the output, ``sum_to_size`` for
the broadcast style and demodulation), in the same order, so the gradients equal the op-by-op path's
(``tests/models/test_frozen_modconv.py``). Gradients flow to ``x``, ``style`` and ``demod`` only: the
weight, bias and noise strength must not require gradients (``ModulatedConv2d`` and StyleGAN2's
layers use this path only then, and only for the unfused formulation, fp32, contiguous layout).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from vidsynth.nn.equalized import LRELU_GAIN
from vidsynth.nn.resample import _kernel

SLOPE = 0.2   # leaky ReLU slope of StyleGAN2
enabled = True   # False: the op-by-op autograd path everywhere (``vidsynth bench``'s before/after, tests)


def _conv_input_grad(grad: torch.Tensor, stand_in: torch.Tensor, weight: torch.Tensor, stride: int, padding: int,
                     transposed: bool, groups: int = 1) -> torch.Tensor:
    """The input gradient of a conv (what autograd computes), without the input itself: a conv's input
    gradient reads the weight and only the *shape* (and layout) of the input, so ``stand_in`` is any
    saved tensor of that shape (a zero-stride ``expand`` would be copied to a full tensor first)."""
    return torch.ops.aten.convolution_backward(grad, stand_in, weight, None, [stride] * 2, [padding] * 2, [1, 1],
                                               transposed, [0, 0], groups, [True, False, False])[0]


class FrozenModulatedConv(torch.autograd.Function):
    """``x [N, in, H, W]``, ``style [N, in]``, ``demod [N, out]`` or None, ``weight [out, in, k, k]``
    (already scaled by its gain) -> ``[N, out, H', W']`` (``H' = 2H`` with ``upsample``), then, if
    ``bias [out]`` is given, ``lrelu(y + noise_term + bias) * sqrt(2)`` in place (``noise_term
    [N or 1, 1, H', W']`` or None)."""

    @staticmethod
    def forward(ctx, x, style, demod, weight, upsample: bool, bias, noise_term):
        n, c = x.shape[:2]
        k = weight.shape[-1]
        s = style.view(n, c, 1, 1).to(x.dtype)
        t = x * s                                                            # modulation
        if upsample:
            out = F.conv_transpose2d(t, weight.transpose(0, 1), stride=2)    # [N, out, 2H+1, 2W+1]
        else:
            out = F.conv2d(t, weight, padding=k // 2)                         # [N, out, H, W]
        del t
        conv_out = out if (demod is not None or upsample) else None   # demod's gradient; the blur's input shape
        if demod is not None:
            out = out * demod.view(n, -1, 1, 1)
        if upsample:
            out = F.conv2d(out, _kernel(out, 4.0), padding=1, groups=out.shape[1])   # blur_pad(.., 1, gain 4)
        act = bias is not None
        if act:
            if noise_term is not None:
                out.add_(noise_term)
            out.add_(bias.view(1, -1, 1, 1))
            F.leaky_relu_(out, SLOPE).mul_(LRELU_GAIN)
        ctx.upsample, ctx.act, ctx.k = upsample, act, k
        ctx.has_demod = demod is not None
        ctx.save_for_backward(x, style, demod, weight, conv_out, out if act else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, style, demod, weight, conv_out, out = ctx.saved_tensors
        n, c = x.shape[:2]
        if ctx.act:                                         # (lrelu(.) * gain)' from the output's sign
            grad = torch.ops.aten.leaky_relu_backward(grad * LRELU_GAIN, out, SLOPE, True)
        if ctx.upsample:                                    # through the blur; its input has conv_out's shape
            grad = _conv_input_grad(grad, conv_out, _kernel(grad, 4.0), 1, 1, False, grad.shape[1])
        grad_demod = None
        if ctx.has_demod:
            d = demod.view(n, -1, 1, 1)
            if ctx.needs_input_grad[2]:
                grad_demod = (grad * conv_out).sum_to_size(d.shape).view(demod.shape)
            grad = grad * d
        if ctx.upsample:                                    # the conv's input x * s has x's shape
            grad_t = _conv_input_grad(grad, x, weight.transpose(0, 1), 2, 0, True)
        else:
            grad_t = _conv_input_grad(grad, x, weight, 1, ctx.k // 2, False)
        s = style.view(n, c, 1, 1).to(x.dtype)
        grad_x = grad_t * s if ctx.needs_input_grad[0] else None
        grad_style = (grad_t * x).sum_to_size(s.shape).view(style.shape) if ctx.needs_input_grad[1] else None
        return grad_x, grad_style, grad_demod, None, None, None, None


def frozen_path_applies(x: torch.Tensor, *params) -> bool:
    """True where :class:`FrozenModulatedConv` replaces the op-by-op path: autograd recording, an fp32
    contiguous input, no autocast, ``enabled``, and none of the layer's own ``params`` requiring a gradient."""
    return (enabled and torch.is_grad_enabled() and x.dtype == torch.float32 and x.is_contiguous()
            and x.device.type != "meta"        # (before the autocast query: it raises for "meta")
            and not torch.is_autocast_enabled(x.device.type)
            and not any(p is not None and p.requires_grad for p in params))
