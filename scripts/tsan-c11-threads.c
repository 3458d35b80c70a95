/* ThreadSanitizer cannot see C11 threads: GCC 12's libtsan intercepts pthread_create and
 * pthread_mutex_*, but not thrd_create, mtx_* or cnd_*, which Debian's librdkafka uses for all
 * its threads and locks. Its threads then crash inside TSan's allocator (uninitialised thread
 * state) and its locks look like no synchronisation at all. scripts/test --sanitize thread
 * builds this file into a shared library and preloads it: each C11 function librdkafka calls
 * is forwarded to its pthread counterpart, which TSan intercepts. glibc implements C11 threads
 * on the same objects (thrd_t is pthread_t; mtx_t and cnd_t have pthread_mutex_t's and
 * pthread_cond_t's layout), so nothing else changes. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

static int to_c11(int err) {
  switch (err) {
    case 0:
      return thrd_success;
    case ENOMEM:
      return thrd_nomem;
    case EBUSY:
      return thrd_busy;
    case ETIMEDOUT:
      return thrd_timedout;
    default:
      return thrd_error;
  }
}

struct start {
  thrd_start_t func;
  void* arg;
};

static void* trampoline(void* p) {
  struct start s = *(struct start*)p;
  free(p);
  return (void*)(intptr_t)s.func(s.arg);
}

int thrd_create(thrd_t* thr, thrd_start_t func, void* arg) {
  struct start* s = malloc(sizeof *s);
  if (!s) return thrd_nomem;
  s->func = func;
  s->arg = arg;
  const int err = pthread_create(thr, NULL, trampoline, s);
  if (err) free(s);
  return to_c11(err);
}

int thrd_join(thrd_t thr, int* res) {
  void* ret = NULL;
  const int err = pthread_join(thr, &ret);
  if (!err && res) *res = (int)(intptr_t)ret;
  return to_c11(err);
}

int thrd_detach(thrd_t thr) { return to_c11(pthread_detach(thr)); }

int mtx_init(mtx_t* m, int type) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  if (type & mtx_recursive) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  const int err = pthread_mutex_init((pthread_mutex_t*)m, &attr);
  pthread_mutexattr_destroy(&attr);
  return to_c11(err);
}
int mtx_lock(mtx_t* m) { return to_c11(pthread_mutex_lock((pthread_mutex_t*)m)); }
int mtx_trylock(mtx_t* m) { return to_c11(pthread_mutex_trylock((pthread_mutex_t*)m)); }
int mtx_timedlock(mtx_t* restrict m, const struct timespec* restrict t) {
  return to_c11(pthread_mutex_timedlock((pthread_mutex_t*)m, t));
}
int mtx_unlock(mtx_t* m) { return to_c11(pthread_mutex_unlock((pthread_mutex_t*)m)); }
void mtx_destroy(mtx_t* m) { pthread_mutex_destroy((pthread_mutex_t*)m); }

int cnd_init(cnd_t* c) { return to_c11(pthread_cond_init((pthread_cond_t*)c, NULL)); }
int cnd_signal(cnd_t* c) { return to_c11(pthread_cond_signal((pthread_cond_t*)c)); }
int cnd_broadcast(cnd_t* c) { return to_c11(pthread_cond_broadcast((pthread_cond_t*)c)); }
int cnd_wait(cnd_t* c, mtx_t* m) { return to_c11(pthread_cond_wait((pthread_cond_t*)c, (pthread_mutex_t*)m)); }
int cnd_timedwait(cnd_t* restrict c, mtx_t* restrict m, const struct timespec* restrict t) {
  return to_c11(pthread_cond_timedwait((pthread_cond_t*)c, (pthread_mutex_t*)m, t));
}
void cnd_destroy(cnd_t* c) { pthread_cond_destroy((pthread_cond_t*)c); }

void call_once(once_flag* flag, void (*func)(void)) { pthread_once((pthread_once_t*)flag, func); }
