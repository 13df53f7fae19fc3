"""Dataset probing of video files: the frame count, size and frame rate a dataset index needs.

Decoding is ``vidsynth.video.read`` (the one PyAV decoder); this module only asks each file what a
dataset needs to know before any clip is drawn, and proves the file decodes.
"""
from __future__ import annotations

from dataclasses import dataclass

# DataWarning is re-exported (see __all__): the data layer's warning, raised by the decoder too
from vidsynth.video.read import DataWarning, VideoReadError, check_frame_pixels, choose_stream, open_video, quarter_turns


@dataclass(frozen=True)
class VideoMeta:
    num_frames: int
    width: int
    height: int
    fps: float | None




def probe_video(storage, name: str) -> VideoMeta:
    """Frame count, size and fps of a video file; raises :class:`VideoReadError` with a reason.

    The count comes from the stream metadata, or from counting packets (no decoding) when the
    metadata is missing (webm, gif) or disagrees with duration x frame rate. The first frame is
    decoded to prove the file is a usable video, not just a readable header. Width and height are
    as displayed (after the rotation stored in the file). A file with several video streams (cover
    art next to the film) is represented by the stream with the most frames.
    """
    if storage.size(name) == 0:
        raise VideoReadError("empty file (0 bytes)")
    with open_video(storage.av_input(name)) as container:
        stream = choose_stream(container, storage, name)
        check_frame_pixels(stream.codec_context.width or 0, stream.codec_context.height or 0)
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else None
        count = int(stream.frames or 0)
        if count > 0 and fps and stream.duration and stream.time_base:
            expected = float(stream.duration * stream.time_base) * fps
            if abs(expected - count) > max(2.0, 0.05 * count):
                count = 0  # metadata disagrees with itself: count for real
        try:
            first = next(container.decode(stream), None)
        except Exception as e:
            raise VideoReadError(f"cannot decode ({type(e).__name__}: {e})") from None
        if first is None:
            raise VideoReadError("no decodable frames")
        check_frame_pixels(first.width, first.height)
        width, height = first.width, first.height
        if quarter_turns(first) % 2:
            width, height = height, width
        if count <= 0:
            count = _count_packets(container, stream)
    return VideoMeta(num_frames=max(count, 1), width=width, height=height, fps=fps)


def _count_packets(container, stream) -> int:
    """Number of frames by demuxing (cheap: no decoding). Stops at the first corrupt packet."""
    container.seek(0)
    n = 0
    try:
        for packet in container.demux(stream):
            if packet.size:
                n += 1
    except Exception:
        pass
    return n

__all__ = ["DataWarning", "VideoMeta", "probe_video"]
