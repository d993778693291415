/**
 * The reference loudspeaker terminal: a WebSocket client of the server's terminal protocol
 * (docs/protocol.md) that keeps the day's plays on disk, fetches their audio ahead and plays each
 * on time by its own clock. It depends on nothing of the server, only on {@code config} for ffmpeg.
 */
package org.xiaolaba.terminal;
