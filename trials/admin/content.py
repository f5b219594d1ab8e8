"""Admin for trials, sites, FAQs and glossary terms."""
