package tern.lab.trial;

import java.util.ArrayList;
import java.util.List;
import tern.sender.engine.Mode;

/** One run of a trial: a mode and whether XBZRLE encodes re-sent pages ("digest+xbzrle"). */
public record TrialVariant(Mode mode, boolean xbzrle) {
    public static final String DEFAULT_RUNS = "sync-clear,reconcile,digest,sync-clear+xbzrle,digest+xbzrle";

    public String label() {
        return mode.cliName() + (xbzrle ? "+xbzrle" : "");
    }

    /** "sync-clear,digest+xbzrle" in the order given; each at most once. */
    public static List<TrialVariant> parseList(String spec) {
        List<TrialVariant> out = new ArrayList<>();
        for (String item : spec.split(",")) {
            String s = item.strip();
            boolean x = s.endsWith("+xbzrle");
            Mode m;
            try {
                m = Mode.parse(x ? s.substring(0, s.length() - "+xbzrle".length()) : s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--runs: '" + s + "' is not MODE or MODE+xbzrle (MODE: sync-clear,"
                        + " reconcile, digest)");
            }
            TrialVariant v = new TrialVariant(m, x);
            if (out.contains(v)) {
                throw new IllegalArgumentException("--runs names " + v.label() + " twice");
            }
            out.add(v);
        }
        return out;
    }
}
