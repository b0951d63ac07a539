"""Code the lab notebooks share (docs/{en,zh-TW}/labs/): measurements, results files, the lab's cache folder."""
