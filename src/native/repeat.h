/* Repeating TCP connect checks of a connect prober (repeat.c). */
#ifndef STOCKADE_REPEAT_H
#define STOCKADE_REPEAT_H

#include <stddef.h>
#include <stdint.h>

/* epoll data of the prober's set: a plain probe is (token << 32 | fd) with token < 2^31; a
 * repeat's connect has the top bit set, its handle above the fd; the timer is all ones. */
#define REPEAT_BIT (1ull << 63)
#define REPEAT_TIMER_DATA (~0ull)
/* The most repeats one prober holds (a bound on its memory: 64 bytes each). */
#define REPEAT_MAX (1u << 20)
/* One result record, to JS: u32 LE token, errno (0 = connected), microseconds since the failed
 * attempt was due, successes before it (the last two: repeats only). */
#define PROBE_RECORD 16

typedef struct repeats_s repeats_t;

int64_t mono_ns(void);
void put_u32le(uint8_t *p, uint32_t v);
/* NULL with errno set on failure. The timer joins `epfd`. */
repeats_t *repeats_new(int epfd, int grid_ms);
void repeats_free(void *rp);
/* A new repeat; its handle (>= 0) or -errno. */
int repeats_add(repeats_t *rp, uint32_t token, uint32_t addr_be, uint16_t port, int64_t delay_ns, int64_t interval_ns,
                int64_t timeout_ns);
/* Stops the repeat `handle` if it still is `token`'s (closing its connect under way). */
void repeats_cancel(repeats_t *rp, uint32_t handle, uint32_t token);
/* 0 and the counts when `handle` is still `token`'s; -1 otherwise. last_ok_ns: 0 when none. */
int repeats_stats(repeats_t *rp, uint32_t handle, uint32_t token, uint32_t *successes, int64_t *last_ok_ns);
/* An epoll event of the set: the timer's or a repeat's connect. defer: a success waits in the
 * stash for repeats_settle (a failure is being handed to JavaScript first). */
void repeats_event(repeats_t *rp, uint64_t data, uint32_t events, int64_t now, int defer);
/* The run of a wake-up that handed a failure over waits for repeats_settle too. */
void repeats_defer_run(repeats_t *rp, int64_t now);
/* Handles the stashed successes, then the deferred run; nothing when none waits. */
void repeats_settle(repeats_t *rp);
/* Starts what is due, fails what timed out, re-arms the timer. */
void repeats_run(repeats_t *rp, int64_t now);
int repeats_reports_pending(const repeats_t *rp);
/* Writes up to `max` failure records; returns how many. */
size_t repeats_report(repeats_t *rp, uint8_t *out, size_t max, int64_t now);
/* Repeats held (a JS process stays alive while there are any). */
uint32_t repeats_count(const repeats_t *rp);

#endif
