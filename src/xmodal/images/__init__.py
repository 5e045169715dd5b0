"""The image stage: files or arrays -> one feature vector per image, and image -> image search.

Modules (none is imported here, so ``import xmodal`` stays fast)::

    io                 read_image: formats, EXIF orientation, alpha, 16-bit, size limits, errors naming the file
    descriptors        SIFT / RootSIFT / ORB keypoints, dense SIFT on a multi-scale grid
    codebook           k-means and k-majority (binary) codebooks, nearest codewords in BLAS tiles
    encodings          bag of words (hard / soft, idf), VLAD, Fisher vectors, spatial pyramids
    global_features    HSV, LBP, HOG, GIST-like descriptors
    extraction         per-image extraction, worker processes
    cache              on-disk per-image feature cache
    encoder            ImageEncoder (what the pipeline uses)
    matching           ImageSearch: encoding shortlist + ratio-test matching + RANSAC re-ranking
    options            command-line options of ``xmodal evaluate``
"""
