"""Training callbacks, one per file; the configs name them by their module (conf/callbacks/)."""

from facecompare.training.callbacks.fit_schedule_to_time import FitScheduleToTime
from facecompare.training.callbacks.hard_negatives import HardNegativeMining
from facecompare.training.callbacks.pair_grid import PairGridLogger, draw_pair_grid
from facecompare.training.callbacks.record_config import CONFIG_KEY, IDENTITIES_KEY, RecordConfig
from facecompare.training.callbacks.weight_ema import WeightEMA

__all__ = [
    "CONFIG_KEY",
    "IDENTITIES_KEY",
    "FitScheduleToTime",
    "HardNegativeMining",
    "PairGridLogger",
    "RecordConfig",
    "WeightEMA",
    "draw_pair_grid",
]
