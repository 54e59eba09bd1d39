"""The Human Phenotype Ontology, as one provider interface over the packaged release."""

from ._hpo import PHENOTYPIC_ABNORMALITY, ROOT, HpoOntology, get_hpo, hp_json_path, packaged_hpo_dir

__all__ = ["PHENOTYPIC_ABNORMALITY", "ROOT", "HpoOntology", "get_hpo", "hp_json_path", "packaged_hpo_dir"]
