import com.trilead.ssh2.Connection;
import com.trilead.ssh2.ConnectionInfo;
import java.util.Map;

/**
 * The lab's trilead-ssh2 client: HOST PORT [PORT ...], one Connection per port with the library's
 * defaults, any host key accepted (a null verifier), a wrong password. Trilead's debug log and a
 * failure's stack trace go to stderr.
 */
public final class TrileadClient {
    public static void main(String[] args) {
        String host = args[0];
        for (int i = 1; i < args.length; i++) {
            LabOut.mark(LabOut.port(args[i]));
            connect(host, LabOut.port(args[i]));
        }
    }

    private static void connect(String host, int port) {
        Connection conn = new Connection(host, port);
        conn.enableDebugging(true, (level, className, message) ->
            System.err.println("DEBUG " + level + " " + className + ": " + message));
        boolean ok = false;
        Map<String, String> chosen = null;
        String error = null;
        try {
            ConnectionInfo info = conn.connect(null, 10000, 10000);
            // connect() returns once the first key exchange is done.
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
