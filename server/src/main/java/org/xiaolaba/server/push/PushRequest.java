package org.xiaolaba.server.push;

import java.util.List;

/** {@code POST /api/v1/pushes}: a message for the app residents of some areas. */
public record PushRequest(
    List<String> areas, String kind, String title, String body, String clipId) {}
