"""What a generated organisation is made of: countries and cities, jobs, and the taxonomy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pollinate.people.models import TopicKind


@dataclass(frozen=True)
class Country:
    code: str
    locale: str
    languages: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]  # (city, IANA time zone)
    weight: int = 1  # how many sites a big manufacturing country tends to have
    family_first: bool = False  # names written family name first (Hungarian, CJK)
    joined: str = " "  # between the two names ("" for Chinese and Korean)


COUNTRIES: tuple[Country, ...] = (
    Country(
        "FR",
        "fr_FR",
        ("fr",),
        (
            ("Lyon", "Europe/Paris"),
            ("Lille", "Europe/Paris"),
            ("Toulouse", "Europe/Paris"),
            ("Nantes", "Europe/Paris"),
            ("Grenoble", "Europe/Paris"),
            ("Strasbourg", "Europe/Paris"),
            ("Rouen", "Europe/Paris"),
        ),
        4,
    ),
    Country(
        "DE",
        "de_DE",
        ("de",),
        (
            ("Stuttgart", "Europe/Berlin"),
            ("Munich", "Europe/Berlin"),
            ("Bremen", "Europe/Berlin"),
            ("Leipzig", "Europe/Berlin"),
            ("Hanover", "Europe/Berlin"),
            ("Dortmund", "Europe/Berlin"),
        ),
        4,
    ),
    Country(
        "US",
        "en_US",
        ("en",),
        (
            ("Detroit", "America/Detroit"),
            ("Greenville", "America/New_York"),
            ("Houston", "America/Chicago"),
            ("Phoenix", "America/Phoenix"),
            ("Columbus", "America/New_York"),
            ("Fremont", "America/Los_Angeles"),
            ("Milwaukee", "America/Chicago"),
        ),
        4,
    ),
    Country(
        "CN",
        "zh_CN",
        ("zh",),
        (
            ("Suzhou", "Asia/Shanghai"),
            ("Tianjin", "Asia/Shanghai"),
            ("Wuhan", "Asia/Shanghai"),
            ("Shenzhen", "Asia/Shanghai"),
            ("Chongqing", "Asia/Shanghai"),
        ),
        4,
        True,
        "",
    ),
    Country(
        "PT",
        "pt_PT",
        ("pt",),
        (("Porto", "Europe/Lisbon"), ("Aveiro", "Europe/Lisbon"), ("Braga", "Europe/Lisbon")),
        2,
    ),
    Country(
        "ES",
        "es_ES",
        ("es",),
        (
            ("Zaragoza", "Europe/Madrid"),
            ("Valladolid", "Europe/Madrid"),
            ("Barcelona", "Europe/Madrid"),
            ("Vigo", "Europe/Madrid"),
        ),
        3,
    ),
    Country(
        "BR",
        "pt_BR",
        ("pt",),
        (
            ("Curitiba", "America/Sao_Paulo"),
            ("São José dos Campos", "America/Sao_Paulo"),
            ("Manaus", "America/Manaus"),
            ("Betim", "America/Sao_Paulo"),
        ),
        3,
    ),
    Country(
        "IN",
        "en_IN",
        ("hi", "en"),
        (
            ("Pune", "Asia/Kolkata"),
            ("Chennai", "Asia/Kolkata"),
            ("Bengaluru", "Asia/Kolkata"),
            ("Gurugram", "Asia/Kolkata"),
        ),
        3,
    ),
    Country(
        "JP",
        "ja_JP",
        ("ja",),
        (("Nagoya", "Asia/Tokyo"), ("Hamamatsu", "Asia/Tokyo"), ("Kitakyushu", "Asia/Tokyo")),
        2,
        True,
    ),
    Country(
        "MX",
        "es_MX",
        ("es",),
        (
            ("Monterrey", "America/Monterrey"),
            ("Querétaro", "America/Mexico_City"),
            ("Tijuana", "America/Tijuana"),
            ("Saltillo", "America/Monterrey"),
        ),
        3,
    ),
    Country(
        "PL",
        "pl_PL",
        ("pl",),
        (("Wrocław", "Europe/Warsaw"), ("Poznań", "Europe/Warsaw"), ("Katowice", "Europe/Warsaw")),
        2,
    ),
    Country(
        "IT",
        "it_IT",
        ("it",),
        (("Turin", "Europe/Rome"), ("Brescia", "Europe/Rome"), ("Bologna", "Europe/Rome")),
        2,
    ),
    Country(
        "CZ",
        "cs_CZ",
        ("cs",),
        (
            ("Plzeň", "Europe/Prague"),
            ("Brno", "Europe/Prague"),
            ("Mladá Boleslav", "Europe/Prague"),
        ),
        2,
    ),
    Country(
        "GB",
        "en_GB",
        ("en",),
        (("Sunderland", "Europe/London"), ("Derby", "Europe/London"), ("Swindon", "Europe/London")),
        2,
    ),
    Country(
        "TR",
        "tr_TR",
        ("tr",),
        (("Bursa", "Europe/Istanbul"), ("İzmit", "Europe/Istanbul"), ("Manisa", "Europe/Istanbul")),
        2,
    ),
    Country(
        "KR", "ko_KR", ("ko",), (("Ulsan", "Asia/Seoul"), ("Changwon", "Asia/Seoul")), 2, True, ""
    ),
    Country(
        "HU",
        "hu_HU",
        ("hu",),
        (("Győr", "Europe/Budapest"), ("Kecskemét", "Europe/Budapest")),
        1,
        True,
    ),
    Country(
        "RO",
        "ro_RO",
        ("ro",),
        (
            ("Pitești", "Europe/Bucharest"),
            ("Timișoara", "Europe/Bucharest"),
            ("Cluj-Napoca", "Europe/Bucharest"),
        ),
        1,
    ),
    Country(
        "NL", "nl_NL", ("nl",), (("Eindhoven", "Europe/Amsterdam"), ("Born", "Europe/Amsterdam")), 1
    ),
    Country(
        "BE", "nl_BE", ("nl", "fr"), (("Ghent", "Europe/Brussels"), ("Liège", "Europe/Brussels")), 1
    ),
    Country(
        "SE",
        "sv_SE",
        ("sv",),
        (("Gothenburg", "Europe/Stockholm"), ("Södertälje", "Europe/Stockholm")),
        1,
    ),
    Country(
        "CA",
        "en_CA",
        ("en", "fr"),
        (
            ("Windsor", "America/Toronto"),
            ("Montréal", "America/Toronto"),
            ("Calgary", "America/Edmonton"),
        ),
        2,
    ),
    Country("TH", "th_TH", ("th",), (("Rayong", "Asia/Bangkok"), ("Chonburi", "Asia/Bangkok")), 1),
    Country(
        "VN",
        "vi_VN",
        ("vi",),
        (("Hai Phong", "Asia/Ho_Chi_Minh"), ("Bình Dương", "Asia/Ho_Chi_Minh")),
        1,
    ),
    Country("ID", "id_ID", ("id",), (("Bekasi", "Asia/Jakarta"), ("Batam", "Asia/Jakarta")), 1),
    Country(
        "MA",
        "fr_FR",
        ("ar", "fr"),
        (("Tangier", "Africa/Casablanca"), ("Kenitra", "Africa/Casablanca")),
        1,
    ),
    Country(
        "EG",
        "ar_EG",
        ("ar",),
        (("10th of Ramadan City", "Africa/Cairo"), ("Alexandria", "Africa/Cairo")),
        1,
    ),
    Country("SA", "ar_SA", ("ar",), (("Jubail", "Asia/Riyadh"), ("Dammam", "Asia/Riyadh")), 1),
    Country(
        "RU",
        "ru_RU",
        ("ru",),
        (
            ("Kaluga", "Europe/Moscow"),
            ("Togliatti", "Europe/Samara"),
            ("Yekaterinburg", "Asia/Yekaterinburg"),
        ),
        1,
    ),
    Country(
        "AR",
        "es_AR",
        ("es",),
        (("Córdoba", "America/Argentina/Cordoba"), ("Rosario", "America/Argentina/Buenos_Aires")),
        1,
    ),
    Country(
        "CL",
        "es_CL",
        ("es",),
        (("Antofagasta", "America/Santiago"), ("Rancagua", "America/Santiago")),
        1,
    ),
    Country(
        "CO", "es_CO", ("es",), (("Medellín", "America/Bogota"), ("Cali", "America/Bogota")), 1
    ),
    Country("AT", "de_AT", ("de",), (("Linz", "Europe/Vienna"), ("Graz", "Europe/Vienna")), 1),
    Country(
        "CH",
        "de_CH",
        ("de", "fr", "it"),
        (("Winterthur", "Europe/Zurich"), ("Neuchâtel", "Europe/Zurich")),
        1,
    ),
    Country(
        "IE", "en_IE", ("en",), (("Limerick", "Europe/Dublin"), ("Galway", "Europe/Dublin")), 1
    ),
    Country(
        "AU",
        "en_AU",
        ("en",),
        (
            ("Adelaide", "Australia/Adelaide"),
            ("Geelong", "Australia/Melbourne"),
            ("Perth", "Australia/Perth"),
        ),
        1,
    ),
    Country(
        "ZA",
        "en_GB",
        ("en",),
        (("Port Elizabeth", "Africa/Johannesburg"), ("Durban", "Africa/Johannesburg")),
        1,
    ),
    Country(
        "TW",
        "zh_TW",
        ("zh",),
        (("Taichung", "Asia/Taipei"), ("Hsinchu", "Asia/Taipei")),
        1,
        True,
        "",
    ),
    Country("PH", "en_PH", ("en",), (("Laguna", "Asia/Manila"), ("Cebu", "Asia/Manila")), 1),
    Country(
        "SK",
        "cs_CZ",
        ("cs",),
        (("Trnava", "Europe/Bratislava"), ("Žilina", "Europe/Bratislava")),
        1,
    ),
    Country("NZ", "en_NZ", ("en",), (("Hamilton", "Pacific/Auckland"),), 1),
    Country("AE", "ar_AE", ("ar", "en"), (("Jebel Ali", "Asia/Dubai"),), 1),
    Country(
        "TN", "fr_FR", ("ar", "fr"), (("Sousse", "Africa/Tunis"), ("Bizerte", "Africa/Tunis")), 1
    ),
    Country("NG", "en_NG", ("en",), (("Lagos", "Africa/Lagos"),), 1),
    Country("SG", "en_GB", ("en", "zh"), (("Tuas", "Asia/Singapore"),), 1),
)

SITE_KINDS = (
    "Assembly Plant",
    "Machining Plant",
    "Components Plant",
    "Stamping Plant",
    "Foundry",
    "Paint Shop",
    "Distribution Centre",
    "Logistics Hub",
    "Engine Plant",
    "Test Centre",
)
SITE_KIND_WEIGHTS = (4, 3, 3, 2, 1, 1, 1, 1, 2, 1)
CENTRAL_KINDS = ("Headquarters", "Group Engineering Centre")

# (job title, area, weight); the area picks a team and the topics a person knows.
JOBS: tuple[tuple[str, str, int], ...] = (
    ("Machine Operator", "Machining", 18),
    ("Assembly Operator", "Assembly", 20),
    ("Assembly Technician", "Assembly", 6),
    ("CNC Machinist", "Machining", 6),
    ("Welder", "Assembly", 5),
    ("Press Operator", "Stamping", 5),
    ("Painter", "Paint", 3),
    ("Maintenance Technician", "Maintenance", 8),
    ("Electrician", "Maintenance", 3),
    ("Toolmaker", "Maintenance", 2),
    ("Quality Inspector", "Quality", 5),
    ("Quality Engineer", "Quality", 2),
    ("Metrology Technician", "Quality", 1),
    ("Process Engineer", "Engineering", 3),
    ("Continuous Improvement Engineer", "Engineering", 2),
    ("Industrialisation Engineer", "Engineering", 1),
    ("Production Planner", "Logistics", 2),
    ("Logistics Coordinator", "Logistics", 2),
    ("Forklift Driver", "Logistics", 4),
    ("Warehouse Operative", "Logistics", 4),
    ("Health and Safety Officer", "Support", 1),
    ("Training Coordinator", "Support", 1),
    ("HR Business Partner", "Support", 1),
    ("Purchasing Buyer", "Support", 1),
    ("Site Controller", "Support", 1),
)
SUPERVISOR_TITLE = {
    "Machining": "Machining Shift Supervisor",
    "Assembly": "Assembly Line Leader",
    "Stamping": "Press Shop Supervisor",
    "Paint": "Paint Shop Supervisor",
    "Maintenance": "Maintenance Manager",
    "Quality": "Quality Manager",
    "Engineering": "Engineering Manager",
    "Logistics": "Logistics Manager",
    "Support": "Site Services Manager",
}
SHIFTS = ("Shift A", "Shift B", "Shift C", "Day team")
SHIFT_AREAS = {"Machining", "Assembly", "Stamping", "Paint", "Logistics"}

# The taxonomy: (English name, French name, children). Roots carry the kind.
Tree = tuple[tuple[str, str, tuple[Any, ...]], ...]
TAXONOMY: tuple[tuple[str, str, str, Tree], ...] = (
    (
        TopicKind.PROCESS,
        "Manufacturing processes",
        "Procédés de fabrication",
        (
            (
                "Machining",
                "Usinage",
                (
                    ("Turning", "Tournage", ()),
                    ("Milling", "Fraisage", ()),
                    ("Grinding", "Rectification", ()),
                    ("Tool wear and changeover", "Usure et changement d'outils", ()),
                ),
            ),
            (
                "Welding",
                "Soudage",
                (
                    ("MIG/MAG welding", "Soudage MIG/MAG", ()),
                    ("Spot welding", "Soudage par points", ()),
                    ("TIG welding", "Soudage TIG", ()),
                ),
            ),
            (
                "Assembly",
                "Assemblage",
                (
                    ("Torque tightening", "Serrage au couple", ()),
                    ("Kitting", "Préparation de kits", ()),
                    ("Error-proofing (poka-yoke)", "Détrompage (poka-yoke)", ()),
                ),
            ),
            (
                "Stamping",
                "Emboutissage",
                (
                    ("Die setting", "Réglage des outils de presse", ()),
                    ("Sheet metal forming", "Formage de tôle", ()),
                ),
            ),
            (
                "Painting and coating",
                "Peinture et revêtement",
                (
                    ("Surface preparation", "Préparation de surface", ()),
                    ("Powder coating", "Poudrage", ()),
                ),
            ),
            ("Injection moulding", "Moulage par injection", ()),
            ("Casting", "Fonderie", ()),
            ("Heat treatment", "Traitement thermique", ()),
        ),
    ),
    (
        TopicKind.PROCESS,
        "Operations",
        "Opérations",
        (
            (
                "Lean manufacturing",
                "Production au plus juste (lean)",
                (
                    ("5S", "5S", ()),
                    ("SMED quick changeover", "Changement rapide d'outil (SMED)", ()),
                    ("Kaizen", "Kaizen", ()),
                    ("Kanban", "Kanban", ()),
                    ("Value stream mapping", "Cartographie de la chaîne de valeur", ()),
                    ("Standard work", "Travail standardisé", ()),
                ),
            ),
            (
                "Maintenance",
                "Maintenance",
                (
                    ("Preventive maintenance", "Maintenance préventive", ()),
                    ("Predictive maintenance", "Maintenance prédictive", ()),
                    ("Lubrication", "Lubrification", ()),
                    ("Total productive maintenance", "Maintenance productive totale", ()),
                ),
            ),
            (
                "Quality",
                "Qualité",
                (
                    ("Statistical process control", "Maîtrise statistique des procédés", ()),
                    ("Root cause analysis (8D)", "Analyse des causes racines (8D)", ()),
                    ("FMEA", "AMDEC", ()),
                    ("Visual inspection", "Contrôle visuel", ()),
                    ("Measurement and gauges", "Mesure et calibres", ()),
                ),
            ),
            (
                "Health and safety",
                "Santé et sécurité",
                (
                    ("Lockout-tagout", "Consignation (LOTO)", ()),
                    ("Ergonomics", "Ergonomie", ()),
                    ("Personal protective equipment", "Équipements de protection individuelle", ()),
                    ("Chemical handling", "Manipulation de produits chimiques", ()),
                ),
            ),
            (
                "Logistics",
                "Logistique",
                (
                    ("Warehousing", "Entreposage", ()),
                    ("Inventory control", "Gestion des stocks", ()),
                    ("Line feeding", "Approvisionnement des lignes", ()),
                ),
            ),
            ("Energy saving", "Économies d'énergie", ()),
        ),
    ),
    (
        TopicKind.MACHINE,
        "Machine types",
        "Types de machines",
        (
            ("CNC lathe", "Tour à commande numérique", ()),
            ("CNC milling centre", "Centre d'usinage CN", ()),
            ("Hydraulic press", "Presse hydraulique", ()),
            ("Welding robot cell", "Cellule de soudage robotisée", ()),
            ("Industrial robot", "Robot industriel", ()),
            ("Injection moulding machine", "Presse à injecter", ()),
            ("Conveyor", "Convoyeur", ()),
            ("Forklift truck", "Chariot élévateur", ()),
            ("Coordinate measuring machine", "Machine à mesurer tridimensionnelle", ()),
            ("Air compressor", "Compresseur d'air", ()),
            ("Paint booth", "Cabine de peinture", ()),
            ("PLC controls", "Automates programmables", ()),
            ("Laser cutter", "Découpe laser", ()),
        ),
    ),
    (
        TopicKind.SKILL,
        "Skills",
        "Compétences",
        (
            ("Problem solving", "Résolution de problèmes", ()),
            ("Reading technical drawings", "Lecture de plans", ()),
            ("Shift handover", "Passation de poste", ()),
            ("Training new starters", "Former les nouveaux arrivants", ()),
            ("Giving feedback", "Donner du feedback", ()),
            ("Team leadership", "Animation d'équipe", ()),
            ("Data analysis with spreadsheets", "Analyse de données avec un tableur", ()),
            ("Running a daily stand-up", "Animer un point quotidien", ()),
            ("Peer coaching", "Accompagnement entre pairs", ()),
        ),
    ),
)

# Topic names (English) each area draws most skills from; the rest come from anywhere.
AREA_TOPICS: dict[str, tuple[str, ...]] = {
    "Machining": (
        "Machining",
        "CNC lathe",
        "CNC milling centre",
        "5S",
        "SMED quick changeover",
        "Reading technical drawings",
        "Measurement and gauges",
        "Standard work",
    ),
    "Assembly": (
        "Assembly",
        "Welding",
        "Industrial robot",
        "Welding robot cell",
        "Conveyor",
        "Standard work",
        "Ergonomics",
        "5S",
        "Kaizen",
    ),
    "Stamping": (
        "Stamping",
        "Hydraulic press",
        "Die setting",
        "SMED quick changeover",
        "Lockout-tagout",
        "Laser cutter",
    ),
    "Paint": (
        "Painting and coating",
        "Paint booth",
        "Chemical handling",
        "Personal protective equipment",
        "Visual inspection",
    ),
    "Maintenance": (
        "Maintenance",
        "PLC controls",
        "Air compressor",
        "Industrial robot",
        "Lockout-tagout",
        "Hydraulic press",
        "Energy saving",
    ),
    "Quality": ("Quality", "Coordinate measuring machine", "Problem solving", "Visual inspection"),
    "Engineering": (
        "Lean manufacturing",
        "Problem solving",
        "Value stream mapping",
        "FMEA",
        "Data analysis with spreadsheets",
        "Injection moulding",
        "Heat treatment",
    ),
    "Logistics": ("Logistics", "Forklift truck", "Kanban", "Conveyor", "Inventory control"),
    "Support": (
        "Health and safety",
        "Training new starters",
        "Giving feedback",
        "Data analysis with spreadsheets",
        "Peer coaching",
    ),
    "Management": (
        "Team leadership",
        "Running a daily stand-up",
        "Giving feedback",
        "Kaizen",
        "Problem solving",
        "Shift handover",
        "Peer coaching",
    ),
}

REGION_COUNTRIES = {
    "Europe": "FR DE PT ES PL IT CZ GB HU RO NL BE SE AT CH IE SK TR RU",
    "North America": "US CA MX",
    "South America": "BR AR CL CO",
    "Asia Pacific": "CN JP KR IN TH VN ID TW PH SG AU NZ",
    "Middle East and Africa": "MA EG SA AE TN NG ZA",
}
REGIONS = {code: region for region, codes in REGION_COUNTRIES.items() for code in codes.split()}

BIOS = (
    "{years} years in {area}. Happy to show anyone how we do it at {site}.",
    "Started on the line {years} years ago; now I help new starters find their feet.",
    "Curious about how other sites handle {area} — ask me anything.",
    "{years} years at {site}. I like fixing things before they break.",
    "Volunteer coach. Ask me about {area} and small improvements that stick.",
)
