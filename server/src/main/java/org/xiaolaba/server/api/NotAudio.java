package org.xiaolaba.server.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Recognises an upload that is plainly not audio by its first bytes: an image, a document, an
 * archive, a program or a web page sent by mistake (the wrong file picked, or an error page saved
 * as .mp3). Answered at once with 415 naming what it is, instead of a clip that fails in ffmpeg.
 * Only formats that no audio file starts like are named; anything else goes on to ffmpeg, which
 * decides (containers such as MP4, WebM or AVI may well hold audio).
 */
final class NotAudio {
  private NotAudio() {}

  private record Signature(int at, byte[] bytes, String what) {
    boolean matches(byte[] head, int n) {
      return n >= at + bytes.length
          && Arrays.equals(head, at, at + bytes.length, bytes, 0, bytes.length);
    }
  }

  private static final List<Signature> SIGNATURES =
      List.of(
          sig(0, new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, "a PNG image"),
          sig(0, new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff}, "a JPEG image"),
          sig(0, ascii("GIF87a"), "a GIF image"),
          sig(0, ascii("GIF89a"), "a GIF image"),
          sig(0, ascii("%PDF-"), "a PDF document"),
          sig(0, new byte[] {'P', 'K', 3, 4}, "a ZIP archive (or an Office document)"),
          sig(0, new byte[] {0x1f, (byte) 0x8b}, "a gzip archive"),
          sig(0, new byte[] {'7', 'z', (byte) 0xbc, (byte) 0xaf, 0x27, 0x1c}, "a 7-Zip archive"),
          sig(0, ascii("Rar!"), "a RAR archive"),
          sig(0, new byte[] {0x7f, 'E', 'L', 'F'}, "a program (ELF)"),
          sig(0, ascii("MZ"), "a Windows program"));

  private static final Signature RIFF = sig(0, ascii("RIFF"), "a RIFF file");
  private static final Signature WEBP = sig(8, ascii("WEBP"), "a WebP image");

  /** Text no audio file starts with, after an optional UTF-8 byte order mark and white space. */
  private static final List<String[]> TEXT =
      List.of(
          new String[] {"<!doctype html", "an HTML page"},
          new String[] {"<html", "an HTML page"},
          new String[] {"<?xml", "an XML document"},
          new String[] {"<svg", "an SVG image"},
          new String[] {"{", "JSON text"},
          new String[] {"[", "JSON text"});

  /** What {@code file} plainly is when it is not audio; empty when it may be audio. */
  static Optional<String> identify(Path file) throws IOException {
    byte[] head = new byte[64];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    }
    for (Signature s : SIGNATURES) {
      if (s.matches(head, n)) return Optional.of(s.what());
    }
    // RIFF holds WAV audio, and WebP images too.
    if (RIFF.matches(head, n) && WEBP.matches(head, n)) return Optional.of(WEBP.what());
    int from = n >= 3 && (head[0] & 0xff) == 0xef && (head[1] & 0xff) == 0xbb ? 3 : 0;
    while (from < n && Character.isWhitespace(head[from])) from++;
    String text =
        new String(head, from, n - from, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
    for (String[] t : TEXT) {
      if (text.startsWith(t[0])) return Optional.of(t[1]);
    }
    return Optional.empty();
  }

  private static Signature sig(int at, byte[] bytes, String what) {
    return new Signature(at, bytes, what);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
