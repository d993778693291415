package org.xiaolaba.media;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One page of the clip listing, newest first; {@code nextCursor} asks for the page after it, and is
 * absent on the last page.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ClipPage(List<Clip> clips, String nextCursor) {}
