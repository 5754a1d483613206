package tern.sender.workload;

import java.util.List;
import java.util.SplittableRandom;

/** A model's visits over a memory of {@code pages} pages: phases in order, regions by weight. */
final class ModelStream implements StoreStream {
    private final WorkloadModel model;
    private final double rate;
    private final int pages;
    private int phase;
    private long phaseVisits;
    private long phaseEnd;
    private int[] firstPage;
    private int[] regionPages;
    private int[] cursor;
    private double[] cumulative;

    ModelStream(WorkloadModel model, int pages, double rate) {
        this.model = model;
        this.pages = pages;
        this.rate = rate;
        enter(0);
    }

    private void enter(int index) {
        phase = index;
        Phase p = model.phases().get(index);
        List<Region> rs = p.regions();
        firstPage = new int[rs.size()];
        regionPages = new int[rs.size()];
        cursor = new int[rs.size()];
        cumulative = new double[rs.size()];
        double total = rs.stream().mapToDouble(Region::weight).sum();
        double acc = 0;
        for (int i = 0; i < rs.size(); i++) {
            Region r = rs.get(i);
            firstPage[i] = Math.min(pages - 1, (int) (r.from() * pages));
            regionPages[i] = Math.max(1, Math.min(pages - firstPage[i], (int) Math.round(r.size() * pages)));
            acc += r.weight() / total;
            cumulative[i] = acc;
        }
        cumulative[rs.size() - 1] = 1.0;
        phaseVisits = 0;
        phaseEnd = p.length() == 0 || index == model.phases().size() - 1 ? Long.MAX_VALUE
                : Math.max(1, (long) (p.length() * pages));
    }

    @Override
    public long next(SplittableRandom rnd) {
        if (phaseVisits++ >= phaseEnd) {
            enter(phase + 1);
            phaseVisits = 1;
        }
        double u = rnd.nextDouble();
        int i = 0;
        while (u >= cumulative[i]) {
            i++;
        }
        Region r = model.phases().get(phase).regions().get(i);
        int offset;
        if (r.access() == Region.Access.SWEEP) {
            offset = cursor[i];
            cursor[i] = offset + 1 == regionPages[i] ? 0 : offset + 1;
        } else {
            offset = rnd.nextInt(regionPages[i]);
        }
        boolean same = r.settledPage(offset) || rnd.nextDouble() < r.sameValue();
        return StoreStream.visit(firstPage[i] + offset, r.lines(), same);
    }

    @Override
    public long dueBy(long elapsedNanos) {
        return (long) (elapsedNanos * 1e-9 * rate);
    }

    @Override
    public boolean idle() {
        return rate <= 0;
    }

    @Override
    public String describe() {
        return model.name();
    }

    @Override
    public String rate() {
        return rate + " visits/s";
    }
}
