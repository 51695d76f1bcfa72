"""Choosing LFW View 1 validation pairs that cost training as few images as possible."""

from __future__ import annotations

import heapq
import random
from collections import defaultdict
from collections.abc import Mapping

from facecompare.data.sources.lfw_protocol import Pair
from facecompare.errors import ConfigError


def select_val(candidates: list[Pair], count: int, seed: int, train_images: Mapping[str, int]) -> list[Pair]:
    """``count`` pairs of ``candidates``, half matched and half mismatched, in the candidates' file order.

    Every person in a validation pair leaves training, so a pair costs the training images
    (``train_images[name]``) of its people that no chosen pair has taken yet; a second pair of a taken person
    is free. Pairs are picked greedily by that marginal cost, ties broken by a shuffle seeded with ``seed``:
    the seed chooses among equally cheap subsets, and the same seed always gives the same pairs.

    The consequence, by design: validation leans to people with few images, the least useful to training (on
    real LFW, 600 pairs take only people with 1 or 2 images: 640 people, 943 of the 9525 training images), and
    George_W_Bush-sized identities are never taken. That biases validation towards rarely photographed people;
    it picks models and thresholds, it is not the benchmark, and pairsDevTest.txt stays untouched as the test.
    Matched pairs are picked first: they are scarcer (people with 2+ images), and the people they take make
    some mismatched pairs free.
    """
    if count < 2 or count % 2:
        raise ConfigError(f"data.val_pairs must be a positive even number (half matched, half mismatched), got {count}")
    rng = random.Random(seed)
    taken: set[str] = set()
    chosen: list[int] = []
    for same in (True, False):
        pool = [i for i, p in enumerate(candidates) if p.same == same]
        if len(pool) < count // 2:
            kind = "matched" if same else "mismatched"
            raise ConfigError(
                f"data.val_pairs={count} needs {count // 2} {kind} pairs, pairsDevTrain.txt offers {len(pool)} "
                "(after removing pairs with test people)"
            )
        rank = list(range(len(pool)))
        rng.shuffle(rank)
        chosen += _cheapest([candidates[i] for i in pool], pool, rank, count // 2, taken, train_images)
    return [candidates[i] for i in sorted(chosen)]


def _cheapest(
    pool: list[Pair], ids: list[int], rank: list[int], k: int, taken: set[str], train_images: Mapping[str, int]
) -> list[int]:
    """Greedy minimum marginal cost with a lazy heap, adding the chosen people to ``taken``; returns ``ids``."""

    def cost(j: int) -> int:
        return sum(train_images.get(name, 0) for name in pool[j].names - taken)

    by_person: dict[str, list[int]] = defaultdict(list)
    for j, pair in enumerate(pool):
        for name in pair.names:
            by_person[name].append(j)
    heap = [(cost(j), rank[j], j) for j in range(len(pool))]
    heapq.heapify(heap)
    done: set[int] = set()
    while len(done) < k:
        _, _, j = heapq.heappop(heap)
        # a cost only falls, and each fall pushes a fresh entry that pops before the stale one: skip repeats
        if j in done:
            continue
        done.add(j)
        for name in pool[j].names - taken:
            taken.add(name)
            for other in by_person[name]:
                if other not in done:
                    heapq.heappush(heap, (cost(other), rank[other], other))
    return [ids[j] for j in done]
