package org.xiaolaba.media;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Loudness of a clip's input (EBU R128 integrated loudness and true peak) and the target its
 * renditions were normalised to; each rendition reports its own measured output.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Loudness(
    Double inputLufs, Double inputTruePeakDb, Double targetLufs, Double outputLufs) {}
