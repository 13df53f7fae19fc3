"""Tolerances shared by tests that compare the same network output computed two ways.

``LAYOUT_ATOL``: one output rendered in two batch / chunk / frame layouts (3 videos at once vs 1, all
frames vs one, chunks of 3 frames vs 64, a commuted upsampling). Other layouts run other convolution
kernels and blockings, which add the same float32 products in another order. The widest reduction in
the tiny test networks is K <= ~600 terms (16-64 channels x 3x3 taps); each sum then moves by at most
K * u (u = 6e-8, float32 unit roundoff) of its absolute sum, ~4e-5, and a handful of layers with O(1-2)
activations compound that to <= ~1e-4 on outputs in [-1, 1]. Typical differences are far smaller
(sqrt(K) u; measured up to 1.05e-5 on this project's CI machine, which failed the former atol 1e-5:
that bound was tighter than the arithmetic allows and depended on the processor). The properties these
tests guard (another frame, latent, motion or chunk boundary) move outputs by >= 1e-3.
"""
LAYOUT_ATOL = 1e-4
