import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/** The lab's result lines (interop/README.md): one JSON object per connection, on stdout. */
final class LabOut {
    static final String[] SLOTS = {"kex", "hostkey", "cipher_c2s", "cipher_s2c", "mac_c2s", "mac_s2c",
                                   "compression_c2s", "compression_s2c"};

    private LabOut() {
    }

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }

    static String object(Map<String, String> map) {
        if (map == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, String> e : map.entrySet()) {
            if (b.length() > 1) {
                b.append(", ");
            }
            b.append(quote(e.getKey())).append(": ").append(quote(e.getValue()));
        }
        return b.append('}').toString();
    }

    /** Print one result line; {@code chosen} may be null. */
    static synchronized void result(boolean ok, Map<String, String> chosen, String error, String ident) {
        System.out.println("{\"ok\": " + ok + ", \"chosen\": " + object(ok ? chosen : null) + ", \"error\": "
                           + quote(error) + ", \"ident\": " + quote(ident) + "}");
        System.out.flush();
    }

    /** A server's line for one connection: what it negotiated. */
    static synchronized void serverChosen(Map<String, String> chosen) {
        System.out.println("{\"chosen\": " + object(chosen) + "}");
        System.out.flush();
    }

    static Map<String, String> chosen() {
        return new LinkedHashMap<>();
    }

    /** What a stack trace's first line shows: the class name and the message. */
    static String text(Throwable t) {
        return t == null ? null : t.toString();
    }

    /** The whole stack trace, as a user of the library would see it in a log. */
    static void trace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        System.err.print(w);
        System.err.flush();
    }

    /** AEAD ciphers carry their own integrity: the contract reports their MAC as null. */
    static boolean aead(String cipher) {
        return cipher != null && (cipher.endsWith("-gcm@openssh.com") || cipher.startsWith("chacha20-poly1305")
                                  || cipher.equals("aes128-gcm") || cipher.equals("aes256-gcm"));
    }

    /** The line that starts one port's share of stderr (the family module splits the log there). */
    static void mark(int port) {
        System.err.println("sshdoctor-harness: port " + port);
        System.err.flush();
    }

    static int port(String s) {
        return Integer.parseInt(s.trim());
    }
}
