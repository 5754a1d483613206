package tern.lab.install;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders the AsciiDoc man page that picocli's ManPageGenerator writes as a roff man page, for
 * {@code man}. Only the subset the generator emits: the {@code :attribute:} header and
 * {@code = name(1)} title, {@code == Section} headings, paragraphs (the synopsis among them, its
 * lines wrapped by the generator; a footer's {@code [%hardbreaks]} ones keep their lines),
 * definition lists ({@code term::} then indented lines), and
 * {@code *bold*} and {@code _italic_} in terms and the synopsis; comments are dropped. Asciidoctor
 * would do it in full, but needs Ruby or JRuby (asciidoctorj, tens of MB) for four small pages.
 * Anything else in the input is refused, so a newer generator cannot slip past unrendered.
 */
public final class ManRoff {
    private static final Pattern ATTRIBUTE = Pattern.compile(":([a-z-]+):\\s*(.*)");
    private static final Pattern TITLE = Pattern.compile("= (\\S+)\\((\\d)\\)");
    private static final Pattern MARKUP = Pattern.compile("\\*([^*]+)\\*|_([^_]+)_");

    private ManRoff() {
    }

    public static String render(String asciidoc) {
        List<String> lines = new ArrayList<>(List.of(asciidoc.split("\n", -1)));
        StringBuilder out = new StringBuilder();
        String source = "";
        String manual = "";
        String section = "";
        boolean hardbreaks = false;
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            Matcher m;
            if (line.startsWith("//") || line.isBlank()) {
                i++;
            } else if ((m = ATTRIBUTE.matcher(line)).matches()) {
                if (m.group(1).equals("mansource")) {
                    source = m.group(2);
                } else if (m.group(1).equals("manmanual")) {
                    manual = m.group(2);
                }
                i++;
            } else if ((m = TITLE.matcher(line)).matches()) {
                out.append(".TH ").append(quote(m.group(1).toUpperCase(Locale.ROOT))).append(' ').append(m.group(2))
                        .append(" \"\" ").append(quote(source)).append(' ').append(quote(manual)).append('\n')
                        .append(".nh\n.ad l\n"); // option names are not to be hyphenated, nor lines stretched

                i++;
            } else if (line.equals("[%hardbreaks]")) {
                hardbreaks = true;
                i++;
            } else if (line.startsWith("== ")) {
                section = line.substring(3).trim().replaceAll(":$", "");
                out.append(".SH ").append(quote(section.toUpperCase(Locale.ROOT))).append('\n');
                i++;
            } else if (line.endsWith("::")) {
                out.append(".TP\n").append(markup(line.substring(0, line.length() - 2))).append('\n');
                i++;
                while (i < lines.size() && lines.get(i).startsWith("  ")) {
                    out.append(text(lines.get(i).trim())).append('\n');
                    i++;
                }
            } else if (line.startsWith("=") || line.startsWith("[") || line.startsWith("----") || line.startsWith("|")) {
                throw new IllegalArgumentException("man page line " + (i + 1) + ": AsciiDoc this renderer does not know: "
                        + line);
            } else {
                // a paragraph: its lines, up to a blank one, joined
                List<String> p = new ArrayList<>();
                while (i < lines.size() && !lines.get(i).isBlank() && !lines.get(i).startsWith("//")) {
                    p.add(lines.get(i).trim());
                    i++;
                }
                String para = String.join(" ", p);
                if (hardbreaks) {
                    hardbreaks = false;
                    out.append(".PP\n");
                    for (String l : p) {
                        out.append(text(l)).append("\n.br\n");
                    }
                } else if (section.equalsIgnoreCase("synopsis")) {
                    // the generator wraps an italic run across lines as "_a_ _   b_": one run again
                    para = para.replaceAll("_\\s+_\\s*", "");
                    out.append(".PP\n").append(markup(para)).append('\n');
                } else if (section.equalsIgnoreCase("name")) {
                    out.append(text(para).replaceFirst(" - ", " \\\\- ")).append('\n');
                } else {
                    out.append(".PP\n").append(text(para)).append('\n');
                }
            }
        }
        return out.toString();
    }

    /** {@code *bold*} and {@code _italic_} as roff fonts; the rest as {@link #text}. */
    static String markup(String s) {
        StringBuilder b = new StringBuilder();
        Matcher m = MARKUP.matcher(s);
        int at = 0;
        while (m.find()) {
            b.append(escape(s.substring(at, m.start())));
            b.append(m.group(1) != null ? "\\fB" + escape(m.group(1)) : "\\fI" + escape(m.group(2))).append("\\fR");
            at = m.end();
        }
        return lineStart(b.append(escape(s.substring(at))).toString());
    }

    /** Literal text: no markup is read in descriptions (picocli writes none there). */
    static String text(String s) {
        return lineStart(escape(s));
    }

    private static String escape(String s) {
        return s.replace("\\", "\\e").replace("-", "\\-");
    }

    /** A line starting with . or ' would be a roff request. */
    private static String lineStart(String s) {
        return s.startsWith(".") || s.startsWith("'") ? "\\&" + s : s;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\"", "'") + "\"";
    }
}
