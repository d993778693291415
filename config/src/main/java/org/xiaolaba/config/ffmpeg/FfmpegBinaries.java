package org.xiaolaba.config.ffmpeg;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The ffmpeg (and, when there is one, ffprobe) binaries this node runs, with their version line and
 * why they were chosen. Without ffprobe, probing works with ffmpeg alone.
 */
public record FfmpegBinaries(Path ffmpeg, Optional<Path> ffprobe, String version, String source) {}
