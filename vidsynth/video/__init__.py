"""Video files: reading (PyAV decoding), writing (mp4/gif/png/npz and grids), streaming long videos,
the suffixes of each, and exact frame rates.

- ``read.py``: the one PyAV decoder (any pixel format and rotation -> RGB uint8 frames);
- ``write.py``: whole videos and sample grids; ``stream.py``: long videos chunk by chunk;
- ``formats.py``: ``READ_SUFFIXES``, ``WRITE_SUFFIXES``, ``STREAM_SUFFIXES``;
- ``frame_rate.py``: rates as exact fractions (30000/1001 stays so).
"""
