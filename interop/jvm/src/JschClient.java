import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Logger;
import com.jcraft.jsch.Session;
import java.lang.reflect.Field;
import java.util.Map;

/**
 * The lab's JSch client (the original JCraft library and the mwiede fork share the API used here):
 * HOST PORT [PORT ...], one connection per port with JSch's default algorithms, a wrong password.
 * JSch's own log lines go to stderr as "INFO: ..." (what a JSch Logger typically prints).
 */
public final class JschClient {
    private static volatile boolean newkeys;

    public static void main(String[] args) {
        JSch.setLogger(new Logger() {
            @Override
            public boolean isEnabled(int level) {
                return level >= Logger.INFO;
            }

            @Override
            public void log(int level, String message) {
                String[] names = {"DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
                System.err.println((level >= 0 && level < names.length ? names[level] : "?") + ": " + message);
                if (message.startsWith("SSH_MSG_NEWKEYS received")) {
                    newkeys = true;
                }
            }
        });
        String host = args[0];
        for (int i = 1; i < args.length; i++) {
            LabOut.mark(LabOut.port(args[i]));
            connect(host, LabOut.port(args[i]));
        }
    }

    private static void connect(String host, int port) {
        newkeys = false;
        Session session = null;
        String error = null;
        try {
            JSch jsch = new JSch();
            session = jsch.getSession("sshdoctor", host, port);
            // Not algorithm settings: accept any host key, try only the (wrong) password.
            session.setConfig("StrictHostKeyChecking", "no");
            session.setConfig("PreferredAuthentications", "password");
            session.setPassword("sshdoctor-wrong-password");
            session.setTimeout(10000);
            session.connect(10000);
        } catch (JSchException e) {
            error = LabOut.text(e);
            LabOut.trace(e);
        } catch (RuntimeException e) {
            error = LabOut.text(e);
            LabOut.trace(e);
        } finally {
            if (session != null) {
                session.disconnect();
            }
        }
        LabOut.result(newkeys, chosen(session), error, session == null ? null : session.getClientVersion());
    }

    // Session keeps what KeyExchange.guess chose in its package-private String[] guess (both lines of JSch).
    private static Map<String, String> chosen(Session session) {
        if (session == null) {
            return null;
        }
        try {
            Field f = Session.class.getDeclaredField("guess");
            f.setAccessible(true);
            String[] guess = (String[]) f.get(session);
            if (guess == null) {
                return null;
            }
            Map<String, String> out = LabOut.chosen();
            for (int i = 0; i < LabOut.SLOTS.length && i < guess.length; i++) {
                out.put(LabOut.SLOTS[i], guess[i]);
            }
            for (String d : new String[] {"c2s", "s2c"}) {
                if (LabOut.aead(out.get("cipher_" + d))) {
                    out.put("mac_" + d, null);
                }
            }
            return out;
        } catch (ReflectiveOperationException | RuntimeException e) {
            System.err.println("harness: cannot read Session.guess: " + e);
            return null;
        }
    }
}
