import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.sshd.common.kex.KexProposalOption;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.server.SshServer;

/**
 * The lab's Apache MINA SSHD server: PORT KEYDIR. SshServer.setUpDefaultServer() with the lab's host keys
 * (each that MINA can read), every authentication refused. Prints "listening", then one {"chosen": ...} line
 * per session whose keys were established; MINA's own log (slf4j-simple) goes to stderr.
 */
public final class MinaServer {
    public static void main(String[] args) throws Exception {
        int port = LabOut.port(args[0]);
        Path dir = Paths.get(args[1]);
        List<KeyPair> keys = new ArrayList<>();
        for (String name : new String[] {"ssh_host_ed25519_key", "ssh_host_ecdsa_key", "ssh_host_rsa_key"}) {
            try {
                for (KeyPair kp : new FileKeyPairProvider(dir.resolve(name)).loadKeys(null)) {
                    keys.add(kp);
                }
            } catch (Exception | LinkageError e) {
                System.err.println("harness: MINA cannot load " + name + ": " + e);
            }
        }
        SshServer sshd = SshServer.setUpDefaultServer();
        sshd.setHost("127.0.0.1");
        sshd.setPort(port);
        sshd.setKeyPairProvider(KeyPairProvider.wrap(keys));
        sshd.setPasswordAuthenticator((user, password, session) -> false);
        sshd.setPublickeyAuthenticator((user, key, session) -> false);
        sshd.addSessionListener(new SessionListener() {
            @Override
            public void sessionEvent(Session session, Event event) {
                if (event == Event.KeyEstablished) {
                    LabOut.serverChosen(negotiated(session));
                }
            }
        });
        sshd.start();
        System.out.println("listening");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    private static final KexProposalOption[] OPTIONS = {
        KexProposalOption.ALGORITHMS, KexProposalOption.SERVERKEYS, KexProposalOption.C2SENC,
        KexProposalOption.S2CENC, KexProposalOption.C2SMAC, KexProposalOption.S2CMAC,
        KexProposalOption.C2SCOMP, KexProposalOption.S2CCOMP};

    private static Map<String, String> negotiated(Session session) {
        Map<String, String> out = LabOut.chosen();
        for (int i = 0; i < OPTIONS.length; i++) {
            out.put(LabOut.SLOTS[i], session.getNegotiatedKexParameter(OPTIONS[i]));
        }
        for (String d : new String[] {"c2s", "s2c"}) {
            if ("aead".equals(out.get("mac_" + d)) || LabOut.aead(out.get("cipher_" + d))) {
                out.put("mac_" + d, null);
            }
        }
        return out;
    }
}
