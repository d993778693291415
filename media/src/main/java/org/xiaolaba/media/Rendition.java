package org.xiaolaba.media;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One encoded form of a clip, for one channel (the horns or the app). {@code url} is the path the
 * server serves it under ({@code /media/} + {@code file}); {@code file} is its name inside the
 * media directory, named by content hash.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Rendition(
    String url,
    String file,
    String codec,
    int channels,
    int sampleRate,
    int bitrate,
    long bytes,
    double targetLufs,
    Double outputLufs) {
  public static final String URL_PREFIX = "/media/";
}
