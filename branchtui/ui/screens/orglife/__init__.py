"""组织生活会 (DOMAIN.md §6): the problem list, criticism and self-criticism, the 整改清单
made from the problems, and the 回头看 of earlier rounds (``meeting``); and the 整改 tracker,
where owners add progress with evidence and the 书记 verifies items one by one (对单销号,
``tracker``). Both open the forms of ``forms``."""
