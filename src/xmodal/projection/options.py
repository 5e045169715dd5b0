"""Command-line options of the projection stage (``xmodal evaluate``): added to a parser, read back."""

from __future__ import annotations

PROJECTIONS = ("default", "cca-cv", "cca", "kcca", "mmd", "gram", "sm", "scm", "three-view-cca")

_HELP = (
    "default: CCA chosen by cross-validation on the training split, or, when the data has labels, whichever "
    "of CCA, three-view CCA, semantic correlation matching and semantic matching cross-validates best; "
    "cca-cv: CCA only (reg, components, weighting by cross-validation); "
    "cca: fixed --reg / --n-components / --correlation-power; "
    "kcca: kernel CCA (chi2 kernel for histogram images, Nyström beyond 1000 items); "
    "mmd: kernel-MMD alignment (class-conditional with labels); "
    "gram: cross-modal Gram alignment to a label / kernel target; "
    "sm, scm, three-view-cca: supervised (need labels). "
    "Every method except cca chooses its settings by cross-validated MAP on the training split."
)


def add_arguments(parser) -> None:
    """Add the projection options to an ``argparse`` parser."""
    group = parser.add_argument_group("projection")
    group.add_argument("--projection", default="default", choices=PROJECTIONS, help=_HELP)
    group.add_argument("--reg", type=float, default=0.1, help="relative ridge for --projection cca")
    group.add_argument("--n-components", type=int, default=None, help="components for --projection cca (default: all)")
    group.add_argument("--correlation-power", type=float, default=0.0,
                       help="weight components by correlation**power for --projection cca")
    group.add_argument("--cv-folds", type=int, default=3,
                       help="folds of the cross-validation on the training split (default: %(default)s)")


def from_arguments(args):
    """The projection estimator the parsed options describe."""
    if args.projection == "cca":
        from xmodal.projection.cca import CCA

        return CCA(n_components=args.n_components, reg_image=args.reg, reg_text=args.reg,
                   correlation_power=args.correlation_power)
    cv = getattr(args, "cv_folds", 3)
    if args.projection == "default":
        return default_projection(seed=args.seed, cv=cv)
    from xmodal.projection.auto import AutoProjection

    return AutoProjection(method=args.projection, seed=args.seed, cv=cv)


def default_projection(**params):
    """The projection a pipeline uses when none is named.

    :class:`~xmodal.projection.auto.AutoProjection`: CCA chosen by cross-validation, and, when
    ``fit`` receives labels, the supervised projections cross-validated against it on the
    same folds, the best kept.
    """
    from xmodal.projection.auto import AutoProjection

    return AutoProjection(method="auto", **params)


def describe(projection) -> dict:
    """Name and parameters of a fitted projection, for reports (chosen values for CV-selected ones)."""
    params = getattr(projection, "best_params_", None)
    described = {"name": type(projection).__name__, "params": params if params is not None else projection.get_params()}
    chosen = getattr(projection, "chosen_", None)
    if chosen is not None:
        described["chosen"] = chosen
    return described
