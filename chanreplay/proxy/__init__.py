"""The capture proxy: record, play back and serve traffic at the network edge."""
