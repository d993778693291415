package org.xiaolaba.server.api;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import org.xiaolaba.config.errors.InvalidInputException;

/**
 * Pulls the {@code file} part (and an optional {@code title} field) out of a multipart body that
 * was already streamed to disk. Runs on a blocking worker; large parts go to disk, never to memory.
 */
final class MultipartUpload {
  /** The extracted audio file and the title given in the form, if any. */
  record Part(Path file, String title) {}

  private MultipartUpload() {}

  static boolean isMultipart(String contentType) {
    return contentType != null && contentType.toLowerCase().startsWith("multipart/form-data");
  }

  static Part extract(Path body, String contentType, Path workDir) throws IOException {
    HttpRequest request =
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/v1/clips");
    request.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    DefaultHttpDataFactory factory = new DefaultHttpDataFactory(16 * 1024);
    factory.setBaseDir(workDir.toString());
    factory.setDeleteOnExit(false);
    HttpPostRequestDecoder decoder;
    try {
      decoder = new HttpPostRequestDecoder(factory, request);
    } catch (HttpPostRequestDecoder.ErrorDataDecoderException
        | IllegalArgumentException
        | IndexOutOfBoundsException e) {
      // Netty reads the Content-Type here: "boundary=" with no value is out of bounds, an unknown
      // charset an IllegalArgumentException
      throw new InvalidInputException(
          "body",
          "the multipart Content-Type '"
              + contentType
              + "' cannot be read: it needs a boundary, and a charset Java knows if any");
    }
    try (InputStream in = Files.newInputStream(body)) {
      // Without a boundary the decoder would read the audio as a url-encoded form.
      if (!decoder.isMultipart()) {
        throw new InvalidInputException(
            "body",
            "a multipart/form-data body needs a boundary: 'Content-Type: multipart/form-data;"
                + " boundary=…'");
      }
      byte[] chunk = new byte[64 * 1024];
      int n;
      while ((n = in.read(chunk)) > 0) {
        decoder.offer(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk, 0, n)));
        chunk = new byte[64 * 1024];
      }
      decoder.offer(LastHttpContent.EMPTY_LAST_CONTENT);
      InterfaceHttpData file = decoder.getBodyHttpData("file");
      if (!(file instanceof FileUpload upload)) {
        throw new InvalidInputException("file", "the multipart body has no file part named 'file'");
      }
      String title = null;
      if (decoder.getBodyHttpData("title") instanceof Attribute a) title = a.getValue();
      Path target = workDir.resolve("multipart-" + UUID.randomUUID() + ".part");
      if (upload.isInMemory()) {
        Files.write(target, upload.get());
      } else {
        Files.move(upload.getFile().toPath(), target, StandardCopyOption.ATOMIC_MOVE);
      }
      if (title == null || title.isBlank()) title = upload.getFilename();
      return new Part(target, title);
    } catch (DecoderException e) {
      // ErrorDataDecoderException, and TooLongFormFieldException for part headers without an end
      throw new InvalidInputException("body", "the multipart body is malformed: " + describe(e));
    } finally {
      decoder.destroy();
      factory.cleanAllHttpData();
    }
  }

  private static String describe(DecoderException e) {
    if (e instanceof HttpPostRequestDecoder.TooLongFormFieldException) {
      return "a part's headers or a field run on without end";
    }
    return String.valueOf(e.getMessage());
  }
}
