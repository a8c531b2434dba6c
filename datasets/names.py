"""Fictional names, places and words for the generated registers.

Everything here is invented: towns, companies and people. Filler company names
are built from syllables so that five million of them are all different and none
collides with a story name (story names use words the syllables never make).
"""

from __future__ import annotations

# Fictional towns: (name, county, CQC region, postcode area, latitude, longitude).
# The postcode areas are real-format letters; the towns they label are invented.
TOWNS = [
    ("Aldenbury", "Cheshire", "North West", "CW", 53.16, -2.52),
    ("Brindlecombe", "Lancashire", "North West", "PR", 53.78, -2.61),
    ("Calderholt", "Greater Manchester", "North West", "OL", 53.58, -2.10),
    ("Westermere", "Cumbria", "North West", "LA", 54.35, -2.85),
    ("Dunholm Spa", "Durham", "North East", "DH", 54.75, -1.60),
    ("Tynecrest", "Tyne and Wear", "North East", "NE", 54.97, -1.52),
    ("Harrowgate Vale", "North Yorkshire", "Yorkshire and The Humber", "HG", 54.02, -1.50),
    ("Skelworth", "West Yorkshire", "Yorkshire and The Humber", "WF", 53.68, -1.45),
    ("Humberwick", "East Riding of Yorkshire", "Yorkshire and The Humber", "HU", 53.80, -0.45),
    ("Ashby Lacey", "Leicestershire", "East Midlands", "LE", 52.70, -1.28),
    ("Trentholme", "Nottinghamshire", "East Midlands", "NG", 53.05, -1.05),
    ("Coldharbour Magna", "Lincolnshire", "East Midlands", "LN", 53.20, -0.40),
    ("Severnbridge", "Worcestershire", "West Midlands", "WR", 52.25, -2.20),
    ("Kinver Heath", "Staffordshire", "West Midlands", "ST", 52.85, -2.05),
    ("Arden Parva", "Warwickshire", "West Midlands", "CV", 52.30, -1.60),
    ("Marshford", "Norfolk", "East", "NR", 52.65, 1.20),
    ("Stourmouth", "Suffolk", "East", "IP", 52.10, 1.10),
    ("Fennick", "Cambridgeshire", "East", "PE", 52.45, -0.05),
    ("Lea Chase", "Hertfordshire", "East", "SG", 51.85, -0.20),
    ("Hollowell", "Greater London", "London", "SE", 51.44, -0.05),
    ("Northwick Green", "Greater London", "London", "NW", 51.57, -0.25),
    ("Bowmarsh", "Greater London", "London", "E", 51.53, 0.02),
    ("Kingsweald", "Kent", "South East", "TN", 51.15, 0.45),
    ("Solent Regis", "Hampshire", "South East", "SO", 50.92, -1.35),
    ("Downley Bourne", "West Sussex", "South East", "RH", 51.00, -0.30),
    ("Thamescote", "Oxfordshire", "South East", "OX", 51.70, -1.20),
    ("Chalkbury", "Berkshire", "South East", "RG", 51.42, -1.00),
    ("Exmere", "Devon", "South West", "EX", 50.72, -3.50),
    ("Tamarford", "Cornwall", "South West", "PL", 50.45, -4.40),
    ("Avonleigh", "Somerset", "South West", "TA", 51.05, -2.95),
    ("Purbeck Minster", "Dorset", "South West", "DT", 50.68, -2.20),
    ("Cotswold Ashton", "Gloucestershire", "South West", "GL", 51.80, -2.05),
]

CCOD_REGION = {
    "London": "GREATER LONDON",
    "South East": "SOUTH EAST",
    "South West": "SOUTH WEST",
    "East": "EAST ANGLIA",
    "East Midlands": "EAST MIDLANDS",
    "West Midlands": "WEST MIDLANDS",
    "Yorkshire and The Humber": "YORKS AND HUMBER",
    "North West": "NORTH WEST",
    "North East": "NORTH",
}

# Title-number prefixes by county (the real scheme uses county letters like these).
TITLE_PREFIX = {
    "Cheshire": "CH", "Lancashire": "LAN", "Greater Manchester": "MAN", "Cumbria": "CU",
    "Durham": "DU", "Tyne and Wear": "TY", "North Yorkshire": "NYK", "West Yorkshire": "WYK",
    "East Riding of Yorkshire": "HS", "Leicestershire": "LT", "Nottinghamshire": "NT",
    "Lincolnshire": "LL", "Worcestershire": "WR", "Staffordshire": "SF", "Warwickshire": "WK",
    "Norfolk": "NK", "Suffolk": "SK", "Cambridgeshire": "CB", "Hertfordshire": "HD",
    "Greater London": "TGL", "Kent": "K", "Hampshire": "HP", "West Sussex": "WSX",
    "Oxfordshire": "ON", "Berkshire": "BK", "Devon": "DN", "Cornwall": "CL", "Somerset": "ST",
    "Dorset": "DT", "Gloucestershire": "GR",
}

STREETS = [
    "Mill Lane", "Church Road", "Station Road", "Victoria Road", "Park Avenue", "The Green",
    "Manor Road", "Chapel Street", "High Street", "Orchard Close", "Kings Road", "Queens Drive",
    "Beech Grove", "Meadow Way", "Priory Lane", "Bridge Street", "Abbey Road", "Hillside",
    "Vicarage Lane", "School Lane", "Elm Walk", "Westgate", "Northgate", "Tanners Row",
    "Cross Lane", "Farm Road", "Rectory Gardens", "Green Lane", "Canal Side", "Quarry Hill",
]

HOME_WORDS = [
    "Rowan", "Beechwood", "Heatherbank", "Lavender", "Willowbrook", "Primrose", "Hollybank",
    "Cedar", "Meadowside", "Laurel", "Foxglove", "Bluebell", "Hawthorn", "Juniper", "Kingfisher",
    "Larkspur", "Mulberry", "Oakleigh", "Poppyfield", "Rosemount", "Sorrel", "Thistledown",
    "Wisteria", "Yewtree", "Alder", "Bramble", "Clover", "Damson", "Elderberry", "Fernlea",
    "Goldcrest", "Harebell", "Ivybridge", "Jasmine", "Kestrel", "Lilac", "Magnolia", "Nightingale",
    "Orchid", "Pinewood", "Quince", "Redwing", "Silverbirch", "Teasel", "Violet", "Woodlark",
]
HOME_KINDS = ["House", "Court", "Lodge", "Manor", "Grange", "Nursing Home", "Care Home", "Hall", "View", "Gardens"]

FORENAMES = [
    "Alys", "Bronwen", "Cerys", "Delphine", "Eluned", "Fenella", "Gwenda", "Hester", "Isolde", "Jocasta",
    "Kerensa", "Lowenna", "Morwenna", "Nerys", "Ottilie", "Perpetua", "Rhiannon", "Saffron", "Tamsin",
    "Ursula", "Aldous", "Barnaby", "Caspian", "Dorian", "Evander", "Fitzroy", "Gideon", "Hamish",
    "Ignatius", "Jago", "Kit", "Lysander", "Montague", "Nathaniel", "Orrin", "Peregrine", "Quentin",
    "Rafferty", "Septimus", "Tobias",
]
SURNAMES = [
    "Ashdown", "Blackthorne", "Crumpworth", "Dallimore", "Eversleigh", "Fotheringay", "Gillingwater",
    "Hazeldine", "Inchbald", "Jellicoe", "Kettlewell", "Lightowler", "Moxham", "Nettleship",
    "Oddfellow", "Pinchbeck", "Quarmby", "Rushworth", "Scarisbrick", "Thistlethwaite", "Umfreville",
    "Vavasour", "Wainhouse", "Yardley-Pike", "Zouche", "Applegarth", "Birtwhistle", "Cattermole",
    "Drinkwater", "Ellerby",
]
TITLES_BY_SEX = {"F": ["Mrs", "Ms", "Miss", "Dr"], "M": ["Mr", "Mr", "Dr", "Sir"]}
FEMALE = set(FORENAMES[:20])
NATIONALITIES = ["British", "British", "British", "Irish", "French", "Swiss", "Canadian", "Maltese"]

# Syllables for filler companies: 20 x 10 stems and 60 trades make 12,000 names
# before a number is added; none of them spells a story word.
STEMS_A = ["ASH", "BIRCH", "CLAY", "DALE", "ELM", "FERN", "GLEN", "HAZEL", "IVY", "JUNO",
           "KEL", "LARCH", "MOSS", "NOR", "OAK", "PEN", "QUARR", "ROW", "STAN", "THORN"]
STEMS_B = ["FIELD", "WOOD", "BROOK", "LEIGH", "TON", "WELL", "COMBE", "HURST", "STEAD", "BY"]
TRADES = [
    "TRADING", "SERVICES", "CONSULTING", "PROPERTIES", "DEVELOPMENTS", "HOLDINGS", "LOGISTICS",
    "ENGINEERING", "VENTURES", "INVESTMENTS", "BUILDERS", "ESTATES", "MEDIA", "DIGITAL", "FOODS",
    "MOTORS", "SOLUTIONS", "TECHNOLOGIES", "INTERIORS", "LEISURE", "RETAIL", "FARMS", "ELECTRICAL",
    "PLUMBING", "DESIGN", "MANAGEMENT", "CAPITAL", "HOMES", "LAND", "STORAGE", "ENERGY", "TRAVEL",
    "TEXTILES", "JOINERY", "ROOFING", "SECURITY", "CLEANING", "TRANSPORT", "PRINT", "STUDIOS",
    "ACCOUNTANCY", "LETTINGS", "HOSPITALITY", "GARDENS", "SUPPLIES", "FABRICATION", "HEATING",
    "SYSTEMS", "PARTNERS", "ASSOCIATES", "VENDING", "LABS", "BREWING", "DAIRIES", "CARPENTRY",
    "SCAFFOLDING", "SURVEYS", "TILING", "GLAZING", "FREIGHT",
]
FILLER_SIC = [
    "68209 - Other letting and operating of own or leased real estate",
    "41100 - Development of building projects",
    "70229 - Management consultancy activities other than financial management",
    "62020 - Information technology consultancy activities",
    "56101 - Licensed restaurants",
    "47190 - Other retail sale in non-specialised stores",
    "43220 - Plumbing, heat and air-conditioning installation",
    "49410 - Freight transport by road",
    "64209 - Activities of other holding companies n.e.c.",
    "96090 - Other service activities n.e.c.",
]
OFFSHORE = [
    # (OCOD Country Incorporated, free-text country a PSC filer writes, capital town)
    ("JERSEY", "Jersey", "St Helier"),
    ("GUERNSEY", "Guernsey", "St Peter Port"),
    ("ISLE OF MAN", "Isle Of Man", "Douglas"),
    ("BRITISH VIRGIN ISLANDS", "British Virgin Islands", "Road Town, Tortola"),
    ("CAYMAN ISLANDS", "Cayman Islands", "George Town, Grand Cayman"),
    ("LUXEMBOURG", "Luxembourg", "Luxembourg"),
    ("DELAWARE, U.S.A.", "United States", "Wilmington, Delaware"),
    ("GIBRALTAR", "Gibraltar", "Gibraltar"),
]
