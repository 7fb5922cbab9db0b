import java.util.Map;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.transport.NegotiatedAlgorithms;
import net.schmizz.sshj.transport.verification.PromiscuousVerifier;

/**
 * The lab's sshj client: HOST PORT [PORT ...], one SSHClient per port with its DefaultConfig, any host key
 * accepted, a wrong password. sshj's own log (slf4j-simple) and a failure's stack trace go to stderr.
 */
public final class SshjClient {
    public static void main(String[] args) {
        String host = args[0];
        for (int i = 1; i < args.length; i++) {
            LabOut.mark(LabOut.port(args[i]));
            connect(host, LabOut.port(args[i]));
        }
    }

    private static void connect(String host, int port) {
        final Map<String, String> chosen = LabOut.chosen();
        boolean ok = false;
        String error = null;
        SSHClient ssh = new SSHClient();
        try {
            ssh.addHostKeyVerifier(new PromiscuousVerifier());
            // The transport reports what it negotiated to every AlgorithmsVerifier; accepting is the default.
            ssh.addAlgorithmsVerifier((NegotiatedAlgorithms n) -> {
                chosen.put("kex", n.getKeyExchangeAlgorithm());
                chosen.put("hostkey", n.getSignatureAlgorithm());
                chosen.put("cipher_c2s", n.getClient2ServerCipherAlgorithm());
                chosen.put("cipher_s2c", n.getServer2ClientCipherAlgorithm());
                chosen.put("mac_c2s", LabOut.aead(n.getClient2ServerCipherAlgorithm()) ? null
                                      : n.getClient2ServerMACAlgorithm());
                chosen.put("mac_s2c", LabOut.aead(n.getServer2ClientCipherAlgorithm()) ? null
                                      : n.getServer2ClientMACAlgorithm());
                chosen.put("compression_c2s", n.getClient2ServerCompressionAlgorithm());
                chosen.put("compression_s2c", n.getServer2ClientCompressionAlgorithm());
                return true;
            });
            ssh.setConnectTimeout(10000);
            ssh.setTimeout(10000);
            ssh.connect(host, port);
            // connect() returns once the first key exchange is done.
            ok = true;
            ssh.authPassword("sshdoctor", "sshdoctor-wrong-password");
        } catch (Exception e) {
            error = LabOut.text(e);
            LabOut.trace(e);
        } finally {
            try {
                ssh.disconnect();
            } catch (Exception e) {
                System.err.println("harness: disconnect: " + e);
            }
        }
        String ident = null;
        try {
            ident = ssh.getTransport().getClientVersion();
        } catch (RuntimeException e) {
            ident = null;
        }
        LabOut.result(ok, chosen.isEmpty() ? null : chosen, error, ident);
    }
}
