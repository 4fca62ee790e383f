"""The compiled engine's exact event loop: SimPy's order of events, without SimPy.

:func:`events_kernel` replays what the reference engine (:func:`govsim.sim.engine.simpy_log`)
does, event for event, for any pool spec — ties and all. It is the fallback of
:func:`govsim.sim.kernel.compiled_log` whenever the faster FIFO kernel
(:mod:`govsim.sim.kernel_fifo`) meets simultaneous events whose order matters. Units: clock
hours.

How SimPy orders events, and how the kernel reproduces it
---------------------------------------------------------
SimPy (4.1, ``simpy/core.py``) keeps one heap of ``(time, priority, id)``: process starts are
URGENT (0), everything else NORMAL (1), and ``id`` counts up as events are *scheduled*, so
simultaneous events of one priority run first scheduled, first processed. Times are sums
``now + delay`` in floating point; the kernel forms the same sums (arrival clock = previous
arrival + gap, :func:`~govsim.sim.spec.arrival_gaps`, exactly as the reference's source process
does), so "simultaneous" means the same float in both. The kernel keeps

* the pending timeouts — service completions, patience, a slot joining or leaving in a binary
  heap; the arrival source's and the daily sampler's (one each) beside it — ordered by
  ``(time, sequence number)``;
* for the current instant, a FIFO of URGENT events (case processes starting) and a FIFO of
  NORMAL zero-delay events (a store get or put taking effect, a patience condition firing, a
  timeout whose delay is 0 or vanishes in rounding).

Every heap entry due now was scheduled before this instant began, every FIFO entry during it, so
SimPy's order is: all URGENT events first, then due timeouts in sequence order, then the NORMAL
FIFO in order. Timeouts due at or after the year's end are dropped (``run(until=…)`` stops at the
first event at the horizon, an URGENT one). The model's rules, read off SimPy's source
(``resources/base.py``, ``resources/store.py``, ``events.py``):

1. *Time 0.* Process starts run in creation order: each joining slot's start then leave timers
   (slot order), the arrival source — which starts the carried cases, oldest first, and then
   schedules the first arrival — then the daily sampler. Carried cases start after all of them.
2. *A case starts* (URGENT, at its arrival): it joins the store's get queue, and the store tries
   the **front** of the queue only (``Store._do_get`` returns ``None``, so ``_trigger_get`` stops
   after one request): if a token is idle, the longest-waiting case — not necessarily this one —
   is handed the longest-idle token. The hand-over is a NORMAL event; the case resumes (logs its
   start, schedules its completion) only when that event is processed. An impatient case then
   schedules its patience timeout and waits for ``get | timeout``.
3. *A service completes*: if the token's slot is still present the token goes to the back of the
   idle list at once (``Store.put``), and a NORMAL put event is scheduled; when it is processed
   the store again tries the front of the get queue. Tokens are thus matched to cases in order,
   one try per put and one per new case.
4. *Patience* (``request | timeout``): the condition fires when the first of the two is
   *processed* (a NORMAL event), and the case decides when the condition is processed: if by
   then it has been handed a token — even one handed over after its patience ran out, within the
   same instant — it is served; otherwise it cancels its request and abandons.
5. *A slot leaves*: its tokens are marked absent and the idle ones removed from the idle list at
   once — including a token put back earlier in the same instant whose put event has not yet
   been processed. A busy token finishes its case and is not put back; one that completes in the
   same instant but after the leave is not put back either.
6. *A slot joins*: each token is put (rule 3), in order.
7. *The daily sample* counts the requests in the get queue at its instant (those not yet handed
   a token nor cancelled), wherever it falls in the instant's order.

Nothing else happens in a pool, so matching these rules event for event gives the same log;
``tests/sim/test_engines_agree.py`` checks it on random specs full of ties (fixed service times,
arrivals on a grid, zero patience, slots leaving as cases finish).

The loop runs an instant without its FIFOs when one timeout alone is due and all it causes lies
later (a case arriving, a service completing, a patience running out, a daily sample): the same
effects in the same order, faster.
"""

from __future__ import annotations

import numba
import numpy as np

from govsim.sim.jit import heap_pop, heap_push, heap_replace, njit

__all__ = [
    "JOIN_START",
    "LEAVE_START",
    "MONITOR_START",
    "SOURCE_START",
    "events_kernel",
]

# Event kinds. Timeouts (heap, or the NORMAL FIFO when due at once):
_ARRIVAL, _COMPLETE, _PATIENCE, _MONITOR, _JOIN, _LEAVE = 0, 1, 2, 3, 4, 5
# NORMAL zero-delay events (FIFO of the current instant):
_GET, _PUT, _COND = 6, 7, 8
# URGENT process starts (FIFO of the current instant):
_CASE_START, _JOIN_START, _LEAVE_START, _SOURCE_START, _MONITOR_START = 9, 10, 11, 12, 13
#: Process starts at time 0, as the caller lists them (``start_kind``).
JOIN_START, LEAVE_START, SOURCE_START, MONITOR_START = (_JOIN_START, _LEAVE_START,
                                                         _SOURCE_START, _MONITOR_START)


@numba.njit("Tuple((int64[::1], int64[::1], int64))(int64[::1], int64[::1], int64, int64, "
            "int64)", cache=True)
def normal_push(nk, na, n, kind, arg):  # pragma: no cover - compiled
    """Append ``(kind, arg)`` to the NORMAL FIFO, doubling it when full."""
    if n == nk.shape[0]:
        bigger_k = np.empty(2 * n, np.int64)
        bigger_a = np.empty(2 * n, np.int64)
        bigger_k[:n] = nk
        bigger_a[:n] = na
        nk = bigger_k
        na = bigger_a
    nk[n] = kind
    na[n] = arg
    return nk, na, n + 1


@njit
def events_kernel(horizon, gaps, n_carried, work, patience, impatient, token_slot, token_inv,
                 initial, start_kind, start_arg, start_at, slot_first, slot_tokens,
                 monitor_first, monitor_step):  # pragma: no cover - compiled
    """The exact event loop; see the module docstring for the order it keeps.

    Returns the served log (case, start, slot, hours), the abandoned cases and the queue
    samples, as :class:`~govsim.sim.spec.PoolLog` holds them.
    """
    inf = np.inf
    n_arr = gaps.shape[0]
    n_cases = n_carried + n_arr
    n_tok = token_slot.shape[0]
    n_slots = slot_first.shape[0]

    # timeouts: the arrival source's and the sampler's (one pending each, kept apart), the rest
    # in a binary heap; all ordered by (time, sequence number)
    a_time = inf
    a_seq = 0
    a_arg = 0
    m_time = inf
    m_seq = 0
    cap_h = n_tok + n_cases + 2 * n_slots + 4
    ht = np.empty(cap_h, np.float64)
    hs = np.empty(cap_h, np.int64)
    hp = np.empty(cap_h, np.int64)  # kind + 16 × argument
    hn = 0
    seq = 0
    # the current instant's URGENT and NORMAL FIFOs (emptied between instants)
    cap_u = n_carried + start_kind.shape[0] + 2
    uk = np.empty(cap_u, np.int64)
    ua = np.empty(cap_u, np.int64)
    u_head = 0
    u_tail = 0
    nk = np.empty(64, np.int64)
    na = np.empty(64, np.int64)
    n_head = 0
    n_tail = 0
    # the store: idle tokens (a ring, longest idle first) and the get queue (case numbers;
    # a cancelled or served request is skipped when it reaches the front)
    cap_it = max(n_tok, 1)
    items = np.empty(cap_it, np.int64)
    spare = np.empty(cap_it, np.int64)
    it_head = 0
    it_n = 0
    for j in range(initial.shape[0]):
        items[it_n] = initial[j]
        it_n += 1
    gq = np.empty(max(n_cases, 1), np.int64)
    gq_head = 0
    gq_tail = 0
    live = 0
    waiting = np.zeros(n_cases, np.uint8)
    cond = np.zeros(n_cases, np.uint8)
    token_of = np.empty(n_cases, np.int64)  # read only once handed over
    active = np.ones(n_tok, np.uint8)
    # the log
    s_case = np.empty(n_cases, np.int64)
    s_start = np.empty(n_cases, np.float64)
    s_slot = np.empty(n_cases, np.int64)
    s_hours = np.empty(n_cases, np.float64)
    ns = 0
    ab = np.empty(n_cases if impatient else 0, np.int64)
    nab = 0
    queue = np.empty(int(horizon / monitor_step) + 2, np.int64)
    nq = 0

    for j in range(start_kind.shape[0]):
        uk[u_tail] = start_kind[j]
        ua[u_tail] = j
        u_tail += 1
    now = 0.0
    while True:
        # -- the next event of this instant: URGENT, then due timeouts, then NORMAL ---------
        if u_head < u_tail:
            kind = uk[u_head]
            arg = ua[u_head]
            u_head += 1
            if u_head == u_tail:
                u_head = 0
                u_tail = 0
        else:
            source = -1
            best = 0
            if a_time == now:
                source = 0
                best = a_seq
            if m_time == now and (source < 0 or m_seq < best):
                source = 1
                best = m_seq
            if hn > 0 and ht[0] == now and (source < 0 or hs[0] < best):
                source = 2
            if source == 0:
                kind = _ARRIVAL
                arg = a_arg
                a_time = inf
            elif source == 1:
                kind = _MONITOR
                arg = 0
                m_time = inf
            elif source == 2:
                kind = hp[0] & 15
                arg = hp[0] >> 4
                hn = heap_pop(ht, hs, hp, hn)
            elif n_head < n_tail:
                kind = nk[n_head]
                arg = na[n_head]
                n_head += 1
                if n_head == n_tail:
                    n_head = 0
                    n_tail = 0
            else:
                # -- the instant is over: on to the next. An instant holding one timeout whose
                # consequences all lie later is run here directly (the same effects, in the
                # same order, as the general path below, without its FIFOs).
                th = ht[0] if hn > 0 else inf
                t = min(a_time, m_time, th)
                if t == inf:
                    break
                if t == a_time and t < m_time and t < th:
                    j = a_arg
                    i = n_carried + j
                    tn = t + gaps[j + 1] if j + 1 < n_arr else inf
                    tp = t + patience[i] if impatient else inf
                    k = items[it_head] if it_n > 0 else -1
                    tc = t + work[i] * token_inv[k] if k >= 0 else inf
                    if tn != t and tp != t and tc != t:
                        now = t
                        if tn < horizon:
                            a_time = tn
                            a_seq = seq
                            a_arg = j + 1
                            seq += 1
                        else:
                            a_time = inf
                        if k >= 0:  # an idle token: the get queue is empty, the case starts
                            it_head = (it_head + 1) % cap_it
                            it_n -= 1
                            token_of[i] = k
                            cond[i] = 1  # its patience timeout would do nothing: not kept
                            s_case[ns] = i
                            s_start[ns] = t
                            s_slot[ns] = token_slot[k]
                            s_hours[ns] = work[i] * token_inv[k]
                            ns += 1
                            if tc < horizon:
                                hn = heap_push(ht, hs, hp, hn, tc, seq, _COMPLETE + 16 * i)
                                seq += 1
                        else:
                            waiting[i] = 1
                            gq[gq_tail] = i
                            gq_tail += 1
                            live += 1
                            if tp < horizon:
                                hn = heap_push(ht, hs, hp, hn, tp, seq, _PATIENCE + 16 * i)
                                seq += 1
                        continue
                elif t == th and t < a_time and t < m_time and (
                        hn < 2 or ht[1] > t) and (hn < 3 or ht[2] > t):
                    kind = hp[0] & 15
                    arg = hp[0] >> 4
                    if kind == _COMPLETE:
                        k = token_of[arg]
                        if active[k] == 0:
                            now = t
                            hn = heap_pop(ht, hs, hp, hn)
                            continue
                        if live == 0:  # nobody waits: the token becomes idle
                            now = t
                            items[(it_head + it_n) % cap_it] = k
                            it_n += 1
                            hn = heap_pop(ht, hs, hp, hn)
                            continue
                        while waiting[gq[gq_head]] == 0:
                            gq_head += 1
                        i = gq[gq_head]
                        hours = work[i] * token_inv[k]
                        tc = t + hours
                        if tc != t:  # the longest-waiting case takes the token
                            now = t
                            gq_head += 1
                            waiting[i] = 0
                            live -= 1
                            token_of[i] = k
                            cond[i] = 1
                            s_case[ns] = i
                            s_start[ns] = t
                            s_slot[ns] = token_slot[k]
                            s_hours[ns] = hours
                            ns += 1
                            if tc < horizon:
                                heap_replace(ht, hs, hp, hn, tc, seq, _COMPLETE + 16 * i)
                                seq += 1
                            else:
                                hn = heap_pop(ht, hs, hp, hn)
                            continue
                    elif kind == _PATIENCE:
                        now = t
                        hn = heap_pop(ht, hs, hp, hn)
                        if cond[arg] == 0:  # still waiting, no token: abandons
                            cond[arg] = 1
                            waiting[arg] = 0
                            live -= 1
                            ab[nab] = arg
                            nab += 1
                        continue
                elif t == m_time and t < a_time and t < th and t + monitor_step != t:
                    now = t
                    queue[nq] = live
                    nq += 1
                    m_time = t + monitor_step if t + monitor_step < horizon else inf
                    m_seq = seq
                    seq += 1
                    continue
                now = t  # several timeouts due at once, or a consequence due at once
                continue

        # -- the general path: one event, exactly as SimPy processes it -------------------
        # at most one timeout is scheduled per event, always after its other effects
        delay = -1.0
        t_kind = 0
        t_arg = 0
        serve = False
        if kind in (_GET, _COND):
            i = arg
            if kind == _GET and impatient:
                if cond[i] == 0:  # the request is processed first: the condition fires
                    cond[i] = 1
                    nk, na, n_tail = normal_push(nk, na, n_tail, _COND, i)
            elif waiting[i] == 1:  # the condition fired without a token: abandon
                waiting[i] = 0
                live -= 1
                ab[nab] = i
                nab += 1
            else:  # the case resumes holding its token
                k = token_of[i]
                hours = work[i] * token_inv[k]
                s_case[ns] = i
                s_start[ns] = now
                s_slot[ns] = token_slot[k]
                s_hours[ns] = hours
                ns += 1
                delay = hours
                t_kind = _COMPLETE
                t_arg = i
        elif kind == _PUT:
            serve = True
        elif kind == _COMPLETE:
            k = token_of[arg]
            if active[k] == 1:
                items[(it_head + it_n) % cap_it] = k
                it_n += 1
                nk, na, n_tail = normal_push(nk, na, n_tail, _PUT, 0)
        elif kind == _ARRIVAL:
            uk[u_tail] = _CASE_START
            ua[u_tail] = n_carried + arg
            u_tail += 1
            if arg + 1 < n_arr:
                delay = gaps[arg + 1]
                t_kind = _ARRIVAL
                t_arg = arg + 1
        elif kind == _CASE_START:
            waiting[arg] = 1
            gq[gq_tail] = arg
            gq_tail += 1
            live += 1
            serve = True
            if impatient:
                delay = patience[arg]
                t_kind = _PATIENCE
                t_arg = arg
        elif kind == _PATIENCE:
            if cond[arg] == 0:  # the timeout is processed first: the condition fires
                cond[arg] = 1
                nk, na, n_tail = normal_push(nk, na, n_tail, _COND, arg)
        elif kind == _MONITOR:
            queue[nq] = live
            nq += 1
            delay = monitor_step
            t_kind = _MONITOR
        elif kind == _JOIN:
            for k in range(slot_first[arg], slot_first[arg] + slot_tokens[arg]):
                items[(it_head + it_n) % cap_it] = k
                it_n += 1
                nk, na, n_tail = normal_push(nk, na, n_tail, _PUT, 0)
        elif kind == _LEAVE:
            m = 0
            for k in range(slot_first[arg], slot_first[arg] + slot_tokens[arg]):
                active[k] = 0
            for r in range(it_n):
                k = items[(it_head + r) % cap_it]
                if token_slot[k] != arg:
                    spare[m] = k
                    m += 1
            for r in range(m):
                items[r] = spare[r]
            it_head = 0
            it_n = m
        elif kind == _SOURCE_START:
            for j in range(n_carried):
                uk[u_tail] = _CASE_START
                ua[u_tail] = j
                u_tail += 1
            if n_arr > 0:
                delay = gaps[0]
                t_kind = _ARRIVAL
                t_arg = 0
        elif kind == _JOIN_START:
            delay = start_at[arg]
            t_kind = _JOIN
            t_arg = start_arg[arg]
        elif kind == _LEAVE_START:
            delay = start_at[arg]
            t_kind = _LEAVE
            t_arg = start_arg[arg]
        elif kind == _MONITOR_START:
            delay = monitor_first
            t_kind = _MONITOR

        if serve:  # the store tries the front of the get queue (one request only)
            while gq_head < gq_tail and waiting[gq[gq_head]] == 0:
                gq_head += 1
            if gq_head < gq_tail and it_n > 0:
                i = gq[gq_head]
                gq_head += 1
                waiting[i] = 0
                live -= 1
                token_of[i] = items[it_head]
                it_head = (it_head + 1) % cap_it
                it_n -= 1
                nk, na, n_tail = normal_push(nk, na, n_tail, _GET, i)
        if delay >= 0.0:
            t = now + delay
            if t < horizon:
                if t == now:  # due in this instant, after everything scheduled so far
                    nk, na, n_tail = normal_push(nk, na, n_tail, t_kind, t_arg)
                elif t_kind == _ARRIVAL:
                    a_time = t
                    a_seq = seq
                    a_arg = t_arg
                    seq += 1
                elif t_kind == _MONITOR:
                    m_time = t
                    m_seq = seq
                    seq += 1
                else:
                    hn = heap_push(ht, hs, hp, hn, t, seq, t_kind + 16 * t_arg)
                    seq += 1
    return s_case[:ns], s_start[:ns], s_slot[:ns], s_hours[:ns], ab[:nab], queue[:nq]
