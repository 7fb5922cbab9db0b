import ch.ethz.ssh2.Connection;
import ch.ethz.ssh2.ConnectionInfo;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The lab's Ganymed SSH-2 client (ch.ethz.ganymed:ganymed-ssh2): HOST PORT [PORT ...], one Connection per
 * port with the library's defaults, no host key verifier (Ganymed then accepts any key), a wrong password.
 * Ganymed logs through java.util.logging once its own switch (ch.ethz.ssh2.log.Logger.enabled) is on;
 * those lines and a failure's stack trace go to stderr.
 */
public final class GanymedClient {
    /** Keeps the library's JUL logger (and so its level and handler) alive for the whole run. */
    private static final Logger LIBRARY_LOG = Logger.getLogger("ch.ethz.ssh2");

    public static void main(String[] args) {
        logToStderr();
        String host = args[0];
        for (int i = 1; i < args.length; i++) {
            LabOut.mark(LabOut.port(args[i]));
            connect(host, LabOut.port(args[i]));
        }
    }

    private static void logToStderr() {
        ch.ethz.ssh2.log.Logger.enabled = true;
        LIBRARY_LOG.setUseParentHandlers(false);
        LIBRARY_LOG.setLevel(Level.ALL);
        LIBRARY_LOG.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                System.err.println("LOG " + r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage());
            }

            @Override
            public void flush() {
                System.err.flush();
            }

            @Override
            public void close() {
            }
        });
    }

    private static void connect(String host, int port) {
        Connection conn = new Connection(host, port);
        boolean ok = false;
        Map<String, String> chosen = null;
        String error = null;
        try {
            // A null verifier: Ganymed checks no host key. The call returns after the first key exchange.
            ConnectionInfo info = conn.connect(null, 10000, 10000);
            ok = true;
            chosen = LabOut.chosen();
            chosen.put("kex", info.keyExchangeAlgorithm);
            chosen.put("hostkey", info.serverHostKeyAlgorithm);
            chosen.put("cipher_c2s", info.clientToServerCryptoAlgorithm);
            chosen.put("cipher_s2c", info.serverToClientCryptoAlgorithm);
            chosen.put("mac_c2s", info.clientToServerMACAlgorithm);
            chosen.put("mac_s2c", info.serverToClientMACAlgorithm);
            if (!conn.authenticateWithPassword("sshdoctor", "sshdoctor-wrong-password")) {
                error = "authentication failed (authenticateWithPassword returned false)";
            }
        } catch (Exception e) {
            error = LabOut.text(e);
            LabOut.trace(e);
        } finally {
            conn.close();
        }
        LabOut.result(ok, chosen, error, null);
    }
}
