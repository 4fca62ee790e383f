"""The compiled engine's fast path: the pool as a FIFO recurrence over token free times.

A pool serves cases first come, first served, each on the token that has been free longest, so
it can be computed one case at a time instead of one event at a time. Keep every token in order
of ``(free time, sequence number)``: tokens present at the start come first (free since −∞, in
the store's order), joining tokens are free from their join time (ordered before any
completion, as their timers were set at time 0), a token coming back from a case is free at its
completion and numbered in the order the cases started. Up to :data:`LIST_MAX` tokens that
order is a sorted list (a short list is cheaper to shift than a heap is to sift: a token
coming back is placed after every token free at or before its time, where its sequence number,
the largest yet, would put it), beyond it a binary heap. Then case ``i``, arriving at clock
time ``a`` (the running sum of the gaps, as SimPy forms it) with deadline ``d = a +
patience``, looks at the first token, free at ``f``:

* it would be handed the token at ``h = max(a, f)``;
* a token whose slot has left by then (``h ≥ leave``) is dropped and the next one looked at;
* if ``h`` is at or after the year's end, the case is not served;
* a case that must wait (``h > a``) and whose patience runs out first (``d < h``) abandons at
  ``d`` — if that is within the year — and leaves the token to the next case;
* otherwise it is served from ``h`` for ``work × inv_speed`` hours, and the token is free again
  at ``h + hours`` unless its slot has left by then or the year is over.

The daily queue sample at ``t`` is the cases arrived before ``t`` (counted as the arrival clock
passes ``t``) less those handed a token (starts never decrease in case order) or abandoned
before ``t``; abandonments are logged in the order of their deadlines (ties in case order), as
SimPy processes them.

This equals SimPy's event order (:mod:`govsim.sim.kernel_events`, rules 1–7) as long as no two
events that could be ordered either way fall on the same instant. The kernel checks where that
could happen and returns ``ok = False`` at the first one: a hand-over at the instant a waiting
case's patience runs out (which comes first depends on which timer was set first) and anything
at the instant of a daily sample; and, conservatively, a hand-over at the instant a slot leaves,
a token freeing as a case arrives and two arrivals at one instant (there the order does not
change the outcome — the property test agrees — but the argument is not worth the risk).
:func:`govsim.sim.kernel.compiled_log` then runs the exact event loop instead. With continuous
random times this practically never happens; with fixed service times and whole hours it can.
Units: clock hours.
"""

from __future__ import annotations

import numpy as np

from govsim.sim.jit import heap_pop, heap_push, heap_replace, njit

__all__ = ["LIST_MAX", "fifo_kernel"]

#: Pools of up to this many tokens keep them in a sorted list, larger ones in a heap. A list of
#: 4 tokens or more is re-sorted in one fixed pass without data-dependent branches, a shorter
#: one by a scan (each the faster there; measured in benchmarks/README.md, issue 15).
LIST_MAX = 256


@njit
def _list_pop(ft, fk, n):  # pragma: no cover - compiled
    """Remove the first token of the sorted list of size ``n`` (the sentinel moves along)."""
    for j in range(n):
        ft[j] = ft[j + 1]
        fk[j] = fk[j + 1]
    return n - 1


@njit
def fifo_kernel(horizon, gaps, n_carried, work, patience, impatient, token_slot, token_inv,
                token_leave, init_token, init_free, monitor, monitor_first,
                monitor_step):  # pragma: no cover - compiled
    """The recurrence; returns ``(ok, case, start, slot, hours, abandoned, queue)``.

    ``token_leave``: when each token's slot leaves (∞ if never). ``init_token``/``init_free``:
    the tokens in the order they become free at first (present ones with free time −∞, then
    joining ones at their join time). ``ok`` is false when
    simultaneous events make the order matter; the rest is then incomplete.
    """
    inf = np.inf
    n_arr = gaps.shape[0]
    n_cases = n_carried + n_arr
    n_init = init_token.shape[0]
    listed = n_init <= LIST_MAX
    ft = np.empty(n_init + 1, np.float64)  # free times (the list's sentinel +∞ at ft[hn])
    fs = np.empty(n_init + 1, np.int64)  # sequence numbers (the heap only)
    fk = np.empty(n_init + 1, np.int64)  # tokens
    hn = 0
    if listed:
        order = np.argsort(init_free, kind="mergesort")  # ties in the given order
        for r in range(n_init):
            ft[r] = init_free[order[r]]
            fk[r] = init_token[order[r]]
        ft[n_init] = inf
        hn = n_init
    else:
        for r in range(n_init):
            hn = heap_push(ft, fs, fk, hn, init_free[r], r, init_token[r])
    seq = n_init

    s_case = np.empty(n_cases, np.int64)
    s_start = np.empty(n_cases, np.float64)
    s_slot = np.empty(n_cases, np.int64)
    s_hours = np.empty(n_cases, np.float64)
    ns = 0
    ab_case = np.empty(n_cases if impatient else 0, np.int64)
    ab_time = np.empty(n_cases if impatient else 0, np.float64)
    nab = 0
    n_samples = 0
    if monitor:  # the sample times, as SimPy's sampler forms them
        t = 0.0 + monitor_first
        while t < horizon:
            n_samples += 1
            t = t + monitor_step
    arrived_before = np.empty(n_samples, np.int64)  # cases arrived before each sample
    nq = 0
    t_next = 0.0 + monitor_first if n_samples else inf
    empty = np.empty(0, np.int64)

    a = 0.0
    arrived = n_cases
    for i in range(n_cases):
        if i >= n_carried:
            nxt = a + gaps[i - n_carried]
            if nxt == a:  # two cases start at one instant (or one with the time-0 starts)
                return False, empty, s_start[:0], empty, s_hours[:0], empty, empty
            a = nxt
            while t_next <= a and nq < n_samples:  # the clock passes a sample
                if t_next == a:
                    return False, empty, s_start[:0], empty, s_hours[:0], empty, empty
                arrived_before[nq] = i
                nq += 1
                t_next = t_next + monitor_step
            if a >= horizon:  # this case and all later ones arrive after the year
                arrived = i
                break
        d = a + patience[i] if impatient else inf
        served = False
        while hn > 0:
            f = ft[0]
            k = fk[0]
            if f == a:  # a token frees as the case arrives
                return False, empty, s_start[:0], empty, s_hours[:0], empty, empty
            h = a if a > f else f
            if h >= horizon:
                break
            leave = token_leave[k]
            if h >= leave:
                if h == leave:
                    return False, empty, s_start[:0], empty, s_hours[:0], empty, empty
                # its slot left while it was idle
                hn = _list_pop(ft, fk, hn) if listed else heap_pop(ft, fs, fk, hn)
                continue
            if h > a and h >= d:
                if h == d:
                    return False, empty, s_start[:0], empty, s_hours[:0], empty, empty
                break  # patience runs out first
            hours = work[i] * token_inv[k]
            c = h + hours
            s_case[ns] = i
            s_start[ns] = h
            s_slot[ns] = token_slot[k]
            s_hours[ns] = hours
            ns += 1
            if c < leave and c < horizon:
                if listed and hn >= 4:
                    # token j becomes the old j + 1 if that is free at or before c, else this
                    # one if the old j was (the old 0 is this one), else the old j. Every value
                    # loaded and selected into locals first: a load or a store inside the
                    # choice compiled to branches, and the pass ran 1.5 times as long
                    earlier = True
                    for j in range(hn):
                        this_t = ft[j]
                        this_k = fk[j]
                        next_t = ft[j + 1]
                        next_k = fk[j + 1]
                        before = next_t <= c
                        new_t = next_t if before else (c if earlier else this_t)
                        new_k = next_k if before else (k if earlier else this_k)
                        ft[j] = new_t
                        fk[j] = new_k
                        earlier = before
                elif listed:  # shift the tokens free at or before c forward, then place it
                    j = 1
                    while j < hn and ft[j] <= c:
                        ft[j - 1] = ft[j]
                        fk[j - 1] = fk[j]
                        j += 1
                    ft[j - 1] = c
                    fk[j - 1] = k
                else:
                    heap_replace(ft, fs, fk, hn, c, seq, k)
                    seq += 1
            else:
                hn = _list_pop(ft, fk, hn) if listed else heap_pop(ft, fs, fk, hn)
            served = True
            break
        if not served and d < horizon:
            ab_case[nab] = i
            ab_time[nab] = d
            nab += 1
    for q in range(nq, n_samples):  # samples after the last arrival (within the year)
        arrived_before[q] = arrived

    order = np.argsort(ab_time[:nab], kind="mergesort")
    abandoned = ab_case[:nab][order]
    ab_sorted = ab_time[:nab][order]
    queue = np.empty(n_samples, np.int64)
    ph = 0
    pd = 0
    t = 0.0 + monitor_first
    for q in range(n_samples):  # less the cases handed a token or gone before the sample
        while ph < ns and s_start[ph] < t:
            ph += 1
        while pd < nab and ab_sorted[pd] < t:
            pd += 1
        if (ph < ns and s_start[ph] == t) or (pd < nab and ab_sorted[pd] == t):
            return False, empty, s_start[:0], empty, s_hours[:0], empty, empty
        queue[q] = arrived_before[q] - ph - pd
        t = t + monitor_step
    return True, s_case[:ns], s_start[:ns], s_slot[:ns], s_hours[:ns], abandoned, queue
