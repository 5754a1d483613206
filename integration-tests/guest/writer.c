/*
 * tern-writer: the guest's workload for Tern's QEMU trials. Fills MIB MiB with pages whose bytes
 * are a function of (seed, page, version), then stores RATE pages a second: "random" gives the
 * page a new version (new bytes), "silent" rewrites the bytes it already holds, "mixed" does a
 * silent store with probability SILENT, "idle" stores nothing. Every second it prints a
 * heartbeat, every CHECK seconds it checks every page against its version (the versions live in
 * guest memory too, so a page lost in migration shows up as a mismatch).
 *
 * usage: tern-writer PATTERN RATE MIB SILENT SEED CHECK
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096
#define WORDS (PAGE / 8)

static uint64_t seed;

static uint64_t mix(uint64_t x) {
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void fill(uint64_t *p, uint64_t page, uint32_t ver) {
    uint64_t x = mix(seed ^ (page << 24) ^ ver);
    for (int k = 0; k < WORDS; k++) {
        p[k] = x;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    }
}

static int same(const uint64_t *p, uint64_t page, uint32_t ver) {
    uint64_t x = mix(seed ^ (page << 24) ^ ver);
    for (int k = 0; k < WORDS; k++) {
        if (p[k] != x) return 0;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    }
    return 1;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: tern-writer idle|random|silent|mixed RATE MIB SILENT SEED CHECK\n");
        return 2;
    }
    const char *pattern = argv[1];
    double rate = atof(argv[2]);
    uint64_t pages = (uint64_t) atol(argv[3]) * (1 << 20) / PAGE;
    double silent = !strcmp(pattern, "silent") ? 1.0 : !strcmp(pattern, "mixed") ? atof(argv[4]) : 0.0;
    seed = (uint64_t) atol(argv[5]);
    double check = atof(argv[6]);
    int idle = !strcmp(pattern, "idle");
    if (!idle && strcmp(pattern, "random") && strcmp(pattern, "silent") && strcmp(pattern, "mixed")) {
        fprintf(stderr, "tern-writer: unknown pattern %s\n", pattern);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    uint8_t *mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    uint32_t *ver = calloc(pages, sizeof *ver);
    if (mem == MAP_FAILED || !ver) {
        printf("tern-error out of memory for %llu pages\n", (unsigned long long) pages);
        return 1;
    }
    for (uint64_t i = 0; i < pages; i++) fill((uint64_t *) (mem + i * PAGE), i, 0);
    printf("tern-ready pattern=%s rate=%.0f pages=%llu silent=%.2f\n", pattern, rate, (unsigned long long) pages, silent);

    uint64_t rng = mix(seed + 1), stores = 0, silentStores = 0, beat = 0, checks = 0;
    double start = now(), nextBeat = start + 1, nextCheck = start + check;
    for (;;) {
        double t = now();
        uint64_t due = idle ? stores : (uint64_t) (rate * (t - start));
        while (stores < due) {
            rng = mix(rng);
            uint64_t i = rng % pages;
            uint64_t *p = (uint64_t *) (mem + i * PAGE);
            if ((double) (rng >> 11) / (double) (1ULL << 53) < silent) {
                fill(p, i, ver[i]); /* a real store of the bytes the page holds */
                silentStores++;
            } else {
                fill(p, i, ++ver[i]);
            }
            stores++;
        }
        if (t >= nextBeat) {
            printf("tern-hb seq=%llu stores=%llu silent=%llu\n", (unsigned long long) ++beat,
                   (unsigned long long) stores, (unsigned long long) silentStores);
            nextBeat += 1;
            if (nextBeat < t) nextBeat = t + 1; /* after a long pause (migration), no burst of beats */
        }
        if (check > 0 && t >= nextCheck) {
            uint64_t bad = 0, first = 0;
            for (uint64_t i = 0; i < pages; i++) {
                if (!same((uint64_t *) (mem + i * PAGE), i, ver[i]) && bad++ == 0) first = i;
            }
            if (bad == 0) {
                printf("tern-check seq=%llu ok pages=%llu\n", (unsigned long long) ++checks, (unsigned long long) pages);
            } else {
                printf("tern-check seq=%llu BAD pages=%llu first=%llu\n", (unsigned long long) ++checks,
                       (unsigned long long) bad, (unsigned long long) first);
            }
            nextCheck = now() + check;
        }
        struct timespec d = {0, 5 * 1000 * 1000};
        nanosleep(&d, NULL);
    }
}
