package tern.common.tls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tern.common.cli.Cli;
import tern.common.cli.VerboseOption;
import tern.common.units.Converters;

@Command(name = "tern-certs", mixinStandardHelpOptions = true, version = "tern-certs 0.1", sortOptions = false,
        description = "Creates a throw-away CA and certificates for the receiver (TLS server authentication) and the"
                + " sender (TLS client authentication), for trials of mutual TLS. The CA's private key is not written:"
                + " nothing can sign another certificate with this CA; make a new set instead.")
public final class CertsMain implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write the PEM files into.")
    Path out;

    @Option(names = "--hosts", split = ",", paramLabel = "HOST[,HOST...]",
            description = "Names and IP addresses the certificates are valid for (localhost, 127.0.0.1 and ::1 always).")
    List<String> hosts = List.of();

    @Option(names = "--valid-for", paramLabel = "DURATION", converter = Converters.Time.class, defaultValue = "720h",
            description = "Validity (default: ${DEFAULT-VALUE}).")
    Duration validFor;

    @Mixin
    VerboseOption verbose;

    public static void main(String[] args) {
        System.exit(Cli.run(new CertsMain(), args));
    }

    @Override
    public Integer call() throws Exception {
        for (Path p : new TrialCertificates(validFor).write(out, hosts)) {
            System.out.println("wrote " + p);
        }
        System.out.println("receiver: --tls-cert " + out.resolve("receiver.pem") + " --tls-key "
                + out.resolve("receiver-key.pem") + " --tls-ca " + out.resolve("ca.pem"));
        System.out.println("sender:   --tls-cert " + out.resolve("sender.pem") + " --tls-key "
                + out.resolve("sender-key.pem") + " --tls-ca " + out.resolve("ca.pem"));
        System.out.println("the CA's private key was not written: make a new set for more certificates");
        return 0;
    }
}
