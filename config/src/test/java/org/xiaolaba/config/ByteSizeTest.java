package org.xiaolaba.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {
  @ParameterizedTest(name = "''{0}'' is {1} bytes")
  @CsvSource({
    "512, 512",
    "512B, 512",
    "64KiB, 65536",
    "200MiB, 209715200",
    "1GiB, 1073741824",
    "10 MiB, 10485760",
    "10mib, 10485760",
    "'  2KiB  ', 2048",
    "1MB, 1048576",
    "1K, 1024",
    "3G, 3221225472",
    "0, 0"
  })
  void sizesAreReadInBinaryUnits(String text, long bytes) {
    assertThat(ByteSize.parse(text).bytes()).isEqualTo(bytes);
  }

  @ParameterizedTest(name = "''{0}'' is refused")
  @ValueSource(strings = {"", "MiB", "-1MiB", "1.5MiB", "10TiB", "200 megs", "1 2MiB"})
  void textThatIsNotASizeIsRefusedWithTheFormsAllowed(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a size such as 512KiB, 200MiB or 1GiB")
        .hasMessageContaining("'" + text + "'");
  }

  @Test
  void aSizeTooLargeToCountIsRefusedWithTheFormsAllowed() {
    assertThatThrownBy(() -> ByteSize.parse("99999999999GiB"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a size such as");
    assertThatThrownBy(() -> ByteSize.parse("99999999999999999999"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a size such as");
  }

  @Test
  void aSizeIsWrittenInTheLargestWholeUnit() {
    assertThat(ByteSize.ofMebibytes(200)).hasToString("200MiB");
    assertThat(new ByteSize(1024L * 1024 * 1024)).hasToString("1GiB");
    assertThat(new ByteSize(64 * 1024)).hasToString("64KiB");
    assertThat(new ByteSize(1536)).hasToString("1536B");
    assertThat(new ByteSize(0)).hasToString("0B");
  }

  @Test
  void theWrittenFormReadsBackToTheSameSize() {
    for (long bytes : new long[] {0, 1, 1023, 1024, 1536, 65536, 209715200, 1L << 33}) {
      ByteSize size = new ByteSize(bytes);
      assertThat(ByteSize.parse(size.toString())).isEqualTo(size);
    }
  }

  @Test
  void aNegativeSizeCannotBeMade() {
    assertThatThrownBy(() -> new ByteSize(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
  }

  @Test
  void intBytesRefusesSizesBeyondAnInt() {
    assertThat(ByteSize.ofMebibytes(1).intBytes()).isEqualTo(1048576);
    assertThatThrownBy(() -> ByteSize.parse("4GiB").intBytes())
        .isInstanceOf(ArithmeticException.class);
  }
}
