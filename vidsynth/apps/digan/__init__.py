"""DIGAN applications (paper §4): rendering, motion, interpolation, projection, time/space resampling."""
