import java.util.Map;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.kex.KexProposalOption;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;

/**
 * The lab's Apache MINA SSHD client: HOST PORT [PORT ...], one session per port with the defaults of
 * SshClient.setUpDefaultClient(), any host key accepted, a wrong password. MINA's own log goes to stderr
 * (slf4j-simple); a failure's stack trace follows it there.
 */
public final class MinaClient {
    private static final KexProposalOption[] OPTIONS = {
        KexProposalOption.ALGORITHMS, KexProposalOption.SERVERKEYS, KexProposalOption.C2SENC,
        KexProposalOption.S2CENC, KexProposalOption.C2SMAC, KexProposalOption.S2CMAC,
        KexProposalOption.C2SCOMP, KexProposalOption.S2CCOMP};

    private static volatile boolean established;

    public static void main(String[] args) throws Exception {
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        client.addSessionListener(new SessionListener() {
            @Override
            public void sessionEvent(Session session, Event event) {
                if (event == Event.KeyEstablished) {
                    established = true;
                }
            }
        });
        client.start();
        try {
            String host = args[0];
            for (int i = 1; i < args.length; i++) {
                LabOut.mark(LabOut.port(args[i]));
                connect(client, host, LabOut.port(args[i]));
            }
        } finally {
            client.stop();
        }
    }

    private static void connect(SshClient client, String host, int port) {
        established = false;
        ClientSession session = null;
        String error = null;
        try {
            ConnectFuture cf = client.connect("sshdoctor", host, port);
            cf.verify(10000L);
            session = cf.getSession();
            session.addPasswordIdentity("sshdoctor-wrong-password");
            session.auth().verify(10000L);
        } catch (Exception e) {
            error = LabOut.text(e);
            LabOut.trace(e);
        }
        Map<String, String> chosen = null;
        String ident = null;
        if (session != null) {
            ident = session.getClientVersion();
            if (established) {
                chosen = negotiated(session);
            }
            session.close(true);
        }
        LabOut.result(established, chosen, error, ident);
    }

    static Map<String, String> negotiated(Session session) {
        Map<String, String> out = LabOut.chosen();
        for (int i = 0; i < OPTIONS.length; i++) {
            out.put(LabOut.SLOTS[i], session.getNegotiatedKexParameter(OPTIONS[i]));
        }
        for (String d : new String[] {"c2s", "s2c"}) {
            // MINA 2.16+ records "aead" for a MAC an AEAD cipher made unnecessary.
            if ("aead".equals(out.get("mac_" + d)) || LabOut.aead(out.get("cipher_" + d))) {
                out.put("mac_" + d, null);
            }
        }
        return out;
    }
}
