package org.xiaolaba.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What {@link NotAudio} names, and the audio it must let through to ffmpeg. */
class NotAudioTest {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({
    "89504e470d0a1a0a0000000d49484452, a PNG image",
    "ffd8ffe000104a464946, a JPEG image",
    "474946383961, a GIF image",
    "52494646240000005745425056503820, a WebP image",
    "255044462d312e37, a PDF document",
    "504b0304140000000800, a ZIP archive (or an Office document)",
    "1f8b0800000000000003, a gzip archive",
    "377abcaf271c0004, a 7-Zip archive",
    "526172211a0700, a RAR archive",
    "7f454c46020101, a program (ELF)",
    "4d5a90000300, a Windows program",
  })
  void namesWhatPlainlyIsNotAudio(String hex, String what) throws Exception {
    assertThat(NotAudio.identify(file(HexFormat.of().parseHex(hex)))).contains(what);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>| an HTML page",
        "\ufeff  <html lang=zh>| an HTML page",
        "<?xml version='1.0'?>| an XML document",
        "<svg xmlns='http://www.w3.org/2000/svg'/>| an SVG image",
        "{\"error\":\"not found\"}| JSON text",
      })
  void namesTextThatIsNotAudio(String text, String what) throws Exception {
    assertThat(NotAudio.identify(file(text.getBytes(StandardCharsets.UTF_8))))
        .contains(what.trim());
  }

  @ParameterizedTest
  @CsvSource({
    "494433040000000000, MP3 with an ID3 tag",
    "fffb9064000000, an MPEG audio frame",
    "fff15080, ADTS AAC",
    "52494646240000005741564566, WAV (RIFF)",
    "664c614300000022, FLAC",
    "4f676753000200000000, Ogg",
    "0000002066747970344d4120, M4A (ftyp)",
    "2321414d520a, AMR",
    "1a45dfa3, WebM or Matroska",
    "2e736e64, Sun audio",
    "464f524d00000000414946, AIFF",
  })
  void letsAudioThrough(String hex, String what) throws Exception {
    assertThat(NotAudio.identify(file(HexFormat.of().parseHex(hex)))).as(what).isEmpty();
  }

  private Path file(byte[] head) throws Exception {
    return Files.write(Files.createTempFile(dir, "upload", ".bin"), head);
  }
}
