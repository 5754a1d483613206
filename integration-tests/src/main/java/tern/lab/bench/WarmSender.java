package tern.lab.bench;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Arrays;
import tern.common.cli.Cli;
import tern.sender.cli.SenderMain;

/**
 * tern-sender, warmed: {@code WarmSender N ARGS...} runs the sender's command line N times
 * quietly (its output discarded), then once more as usual, all in this JVM, so the last
 * migration runs on compiled code. For tern-bench's warm runs against a --keep-serving receiver;
 * the same code as bin/tern-sender, only warm.
 */
public final class WarmSender {
    private WarmSender() {
    }

    public static void main(String[] args) {
        if (args.length < 1 || !args[0].matches("\\d{1,2}")) {
            System.err.println("usage: WarmSender WARMUPS TERN-SENDER-ARGS...");
            System.exit(2);
        }
        int warmups = Integer.parseInt(args[0]);
        String[] sender = Arrays.copyOfRange(args, 1, args.length);
        PrintStream out = System.out;
        for (int i = 0; i < warmups; i++) {
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            int code = Cli.run(new SenderMain(), sender);
            System.setOut(out);
            if (code != 0) {
                System.err.println("warm-up migration " + (i + 1) + " failed (exit " + code + ")");
                System.exit(code);
            }
        }
        System.exit(Cli.run(new SenderMain(), sender));
    }
}
