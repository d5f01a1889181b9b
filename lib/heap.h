/* heap.h: a binary min-heap of (time, pointer), for schedules. */
#ifndef HEAP_H
#define HEAP_H
#include <stddef.h>
#include <time.h>

struct heap_item { time_t when; void *p; unsigned long gen; };
struct heap { struct heap_item *a; size_t n, cap; };
#define HEAP_ZERO { 0, 0, 0 }

int heap_push(struct heap *, time_t when, void *p, unsigned long gen);  /* -1 ENOMEM */
struct heap_item *heap_top(struct heap *);                             /* 0 when empty */
void heap_pop(struct heap *);

#endif
