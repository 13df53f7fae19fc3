"""Which video files vidsynth reads and writes, by file suffix (lower case, with the dot).

One list each, so that the data loader, the metrics (fake videos are read through the data layer)
and the writers never disagree about what a video file is.
"""

# Decoded with PyAV (video/read.py): datasets, real and fake clips for the metrics, prediction inputs.
READ_SUFFIXES = (".mp4", ".m4v", ".avi", ".webm", ".mkv", ".mov", ".gif")

# Whole videos written at once by ``video.write.write_video``; a path without suffix is a folder of pngs.
WRITE_SUFFIXES = (".mp4", ".gif", ".npz")

# Long videos streamed chunk by chunk by ``video.stream.VideoStreamWriter`` ("": a folder of pngs).
STREAM_SUFFIXES = (".mp4", ".mkv", ".webm", "")
