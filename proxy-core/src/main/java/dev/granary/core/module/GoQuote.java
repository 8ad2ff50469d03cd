package dev.granary.core.module;

/**
 * Go's {@code %q} formatting, so our error messages read exactly like the go command's. A helper for
 * this package and {@code dev.granary.core.zip}, not a general API.
 *
 * <p>A lone surrogate stands for a byte that was not valid UTF-8 (U+DC80..U+DCFF for bytes
 * 0x80..0xFF, the "surrogateescape" convention); it is printed as {@code \xNN} like Go prints the raw byte.
 */
public final class GoQuote {

    private GoQuote() {}

    /** strconv.Quote. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '"' || cp == '\\') {
                b.append('\\').appendCodePoint(cp);
            } else {
                appendRune(b, cp);
            }
        }
        return b.append('"').toString();
    }

    /** strconv.QuoteRune. */
    public static String quoteRune(int cp) {
        StringBuilder b = new StringBuilder("'");
        if (cp == '\'' || cp == '\\') {
            b.append('\\').appendCodePoint(cp);
        } else {
            appendRune(b, cp);
        }
        return b.append('\'').toString();
    }

    private static void appendRune(StringBuilder b, int cp) {
        if (Character.isSurrogate((char) cp) && cp <= 0xFFFF) {
            if (cp >= 0xDC80 && cp <= 0xDCFF) {
                b.append(String.format("\\x%02x", cp - 0xDC00));
            } else {
                b.append(String.format("\\u%04x", cp));
            }
            return;
        }
        if (isPrint(cp)) {
            b.appendCodePoint(cp);
            return;
        }
        switch (cp) {
            case 0x07 -> b.append("\\a");
            case '\b' -> b.append("\\b");
            case '\f' -> b.append("\\f");
            case '\n' -> b.append("\\n");
            case '\r' -> b.append("\\r");
            case '\t' -> b.append("\\t");
            case 0x0B -> b.append("\\v");
            default -> {
                if (cp < ' ' || cp == 0x7F) {
                    b.append(String.format("\\x%02x", cp));
                } else if (cp < 0x10000) {
                    b.append(String.format("\\u%04x", cp));
                } else {
                    b.append(String.format("\\U%08x", cp));
                }
            }
        }
    }

    /** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
    private static boolean isPrint(int cp) {
        if (cp == ' ') {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER,
                    Character.LOWERCASE_LETTER,
                    Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER,
                    Character.OTHER_LETTER,
                    Character.NON_SPACING_MARK,
                    Character.ENCLOSING_MARK,
                    Character.COMBINING_SPACING_MARK,
                    Character.DECIMAL_DIGIT_NUMBER,
                    Character.LETTER_NUMBER,
                    Character.OTHER_NUMBER,
                    Character.CONNECTOR_PUNCTUATION,
                    Character.DASH_PUNCTUATION,
                    Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION,
                    Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION,
                    Character.OTHER_PUNCTUATION,
                    Character.MATH_SYMBOL,
                    Character.CURRENCY_SYMBOL,
                    Character.MODIFIER_SYMBOL,
                    Character.OTHER_SYMBOL -> true;
            default -> false;
        };
    }
}
