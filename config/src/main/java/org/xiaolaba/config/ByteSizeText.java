package org.xiaolaba.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import java.io.IOException;

/**
 * Reads sizes written as text ({@code 200MiB}) or, in YAML, as a plain whole number of bytes, and
 * turns a bad one into a message that says what is allowed.
 */
final class ByteSizeText extends StdScalarDeserializer<ByteSize> {
  ByteSizeText() {
    super(ByteSize.class);
  }

  @Override
  public ByteSize deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NUMBER_INT
        && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER
        && p.getLongValue() >= 0) {
      return new ByteSize(p.getLongValue());
    }
    if (p.currentToken().isNumeric()) {
      return (ByteSize)
          ctxt.handleWeirdNumberValue(
              ByteSize.class, p.getNumberValue(), ByteSize.ALLOWED + " or whole bytes");
    }
    try {
      return ByteSize.parse(p.getValueAsString(""));
    } catch (IllegalArgumentException e) {
      return (ByteSize) ctxt.handleWeirdStringValue(ByteSize.class, p.getText(), e.getMessage());
    }
  }
}
