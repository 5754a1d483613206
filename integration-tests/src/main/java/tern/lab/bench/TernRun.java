package tern.lab.bench;

import java.util.Map;

/**
 * One Tern migration (a receiver and a sender process): iteration 1's figures from --stats, CPU
 * over the bulk window and over the whole run, memory peaks, and CPU per kind of thread.
 */
record TernRun(TernConfig config, long imageBytes, long pages, long bytesOnWire, long payloadBytes, long durationMs,
               long pagesSent, long pagesSkipped, long pagesZero, double markSeconds, Cpu senderBulk, Cpu receiverBulk,
               Cpu senderWhole, Cpu receiverWhole, Cpu rusage, ProcSampler.Peaks sender, ProcSampler.Peaks receiver,
               double wallSeconds, long totalMs, Long verifyMs, Map<String, Cpu> senderThreads,
               Map<String, Cpu> receiverThreads, MachineLoad machine) {
    double bytesPerS() {
        return bytesOnWire * 1000.0 / durationMs;
    }

    double payloadPerS() {
        return payloadBytes * 1000.0 / durationMs;
    }
}
