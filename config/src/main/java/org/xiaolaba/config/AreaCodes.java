package org.xiaolaba.config;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.xiaolaba.config.errors.InvalidInputException;

/**
 * Area codes as clients send them, turned into the codes of the tree that are stored and
 * authorised. The one place that decides what an area code is: every route and service that takes
 * codes goes through here, so that what a scope check sees is exactly what is stored.
 *
 * <p>Normalising is NFKC (full-width digits become ASCII, U+3000 and NBSP become spaces) and
 * trimming white space at either end; nothing else. What is left must be 6, 9 or 12 ASCII digits
 * naming an area of the tree, or it is refused with a 400 naming the entry: a sign, padding zeros,
 * a prefix of a real code or inner spaces are refused, never mended. Duplicates are dropped, the
 * first kept.
 */
public final class AreaCodes {
  private AreaCodes() {}

  /**
   * The codes of a list, normalised and checked; throws {@link InvalidInputException} naming {@code
   * field[i]} for the first that is not an area of the tree, or {@code field} for an empty or
   * overlong list (longer than the tree has areas: it cannot be all distinct and known).
   */
  public static List<String> parse(AreaTree tree, List<String> raw, String field) {
    if (raw == null || raw.isEmpty()) {
      throw new InvalidInputException(
          field, field + " must name at least one area code (county, town or village)");
    }
    int most = tree.all().size();
    if (raw.size() > most) {
      throw new InvalidInputException(
          field,
          field
              + " names "
              + raw.size()
              + " area codes; the area tree has only "
              + most
              + " areas");
    }
    Set<String> out = new LinkedHashSet<>();
    for (int i = 0; i < raw.size(); i++) {
      out.add(parseOne(tree, raw.get(i), field + "[" + i + "]"));
    }
    return new ArrayList<>(out);
  }

  /**
   * One code, normalised and checked; throws {@link InvalidInputException} naming {@code field}.
   */
  public static String parseOne(AreaTree tree, String raw, String field) {
    if (raw == null) throw new InvalidInputException(field, field + " must be an area code");
    String code = normalise(raw);
    if (code.isEmpty()) throw new InvalidInputException(field, field + " is an empty area code");
    if (!code.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new InvalidInputException(
          field, "unknown area code '" + shown(raw) + "': expected 6, 9 or 12 digits");
    }
    if (!tree.contains(code)) {
      throw new InvalidInputException(
          field, "unknown area code '" + shown(raw) + "': it is not in the area tree");
    }
    return code;
  }

  /** NFKC, then white space (Unicode's, NBSP and zero-width ones included) cut at both ends. */
  static String normalise(String raw) {
    String s = Normalizer.normalize(raw, Normalizer.Form.NFKC);
    int start = 0;
    int end = s.length();
    while (start < end && blank(s.charAt(start))) start++;
    while (end > start && blank(s.charAt(end - 1))) end--;
    return s.substring(start, end);
  }

  private static boolean blank(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u200B' || c == '\uFEFF';
  }

  /** The value as sent, cut short and with control characters made visible, for a message. */
  private static String shown(String raw) {
    String s = raw.length() > 40 ? raw.substring(0, 40) + "…" : raw;
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (Character.isISOControl(c) || Character.isSpaceChar(c) && c != ' ') {
        b.append(String.format("\\u%04X", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
