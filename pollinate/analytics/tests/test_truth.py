"""Truth test: a diffusion process with known parameters; the metrics must recover them.

Process: 40 sites (4 central). Each of 300 practices starts at a random site; each week for 20
weeks, every site that has not adopted it is exposed and adopts with probability P_ADOPT. The origin
of an adoption is the practice's origin site. Central sites originate a known share of practices.
Tolerance: ±0.03 on the adoption probability and on horizontality (binomial standard errors here
are below 0.01, so 3 σ fits well inside).
"""

from __future__ import annotations

import random

import pytest

from pollinate.analytics import metrics
from pollinate.analytics.metrics import Flow

P_ADOPT = 0.04
CENTRAL_SHARE = 0.3  # share of practices that come from central sites
TOLERANCE = 0.03


def _simulate(seed: int) -> tuple[list[Flow], int, int, set[int]]:
    rng = random.Random(seed)
    sites = list(range(40))
    central = set(sites[:4])
    flows: list[Flow] = []
    exposures = adoptions = 0
    for _ in range(300):
        origin = (
            rng.choice(sorted(central)) if rng.random() < CENTRAL_SHARE else rng.choice(sites[4:])
        )
        adopted = {origin}
        for _week in range(20):
            for site in sites:
                if site in adopted:
                    continue
                exposures += 1
                if rng.random() < P_ADOPT:
                    adopted.add(site)
                    adoptions += 1
                    flows.append(Flow(origin=origin, adopter=site))
    return flows, exposures, adoptions, central


def test_metrics_recover_the_adoption_probability_and_horizontality_of_a_known_process() -> None:
    flows, exposures, adoptions, central = _simulate(seed=8)
    estimated = metrics.adoption_probability(exposures, adoptions)
    assert estimated == pytest.approx(P_ADOPT, abs=TOLERANCE)
    assert metrics.horizontality(flows, central) == pytest.approx(1 - CENTRAL_SHARE, abs=TOLERANCE)
    matrix = metrics.flow_matrix(flows, list(range(40)))
    assert int(matrix.sum()) == adoptions
    assert metrics.contribution_breadth(flows, range(40)) == pytest.approx(1.0, abs=0.1)
