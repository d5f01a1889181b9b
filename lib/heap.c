/* heap.c: binary min-heap on time. */
#include <errno.h>
#include <stdlib.h>
#include "heap.h"

static void swap(struct heap_item *a, struct heap_item *b) { struct heap_item t = *a; *a = *b; *b = t; }

int heap_push(struct heap *h, time_t when, void *p, unsigned long gen)
{
  size_t i;
  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 64;
    struct heap_item *a = realloc(h->a, cap * sizeof *a);
    if (!a) { errno = ENOMEM; return -1; }
    h->a = a;
    h->cap = cap;
  }
  i = h->n++;
  h->a[i].when = when;
  h->a[i].p = p;
  h->a[i].gen = gen;
  while (i && h->a[(i - 1) / 2].when > h->a[i].when) {
    swap(&h->a[(i - 1) / 2], &h->a[i]);
    i = (i - 1) / 2;
  }
  return 0;
}

struct heap_item *heap_top(struct heap *h) { return h->n ? &h->a[0] : 0; }

void heap_pop(struct heap *h)
{
  size_t i = 0;
  if (!h->n) return;
  h->a[0] = h->a[--h->n];
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->n && h->a[l].when < h->a[m].when) m = l;
    if (r < h->n && h->a[r].when < h->a[m].when) m = r;
    if (m == i) break;
    swap(&h->a[i], &h->a[m]);
    i = m;
  }
}
