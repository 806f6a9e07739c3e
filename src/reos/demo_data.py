"""Word lists and templates of the demo team: markets, street and people names, entity names,
note and task wording. Plain data, so `reos.demo` reads as the recipe and this as the pantry."""

from __future__ import annotations

# name, state, counties (as the `zipcodes` data names them, without " County"), weight.
MARKETS: list[tuple[str, str, list[str], int]] = [
    ("Tampa Bay", "FL", ["Hillsborough", "Pinellas", "Pasco", "Polk"], 34),
    ("Central Florida", "FL", ["Orange", "Seminole", "Osceola"], 16),
    ("Jacksonville", "FL", ["Duval", "Clay", "St. Johns"], 12),
    ("Atlanta Metro", "GA", ["Fulton", "DeKalb", "Cobb", "Gwinnett", "Clayton"], 11),
    ("Dallas-Fort Worth", "TX", ["Dallas", "Tarrant", "Collin"], 10),
    ("San Antonio", "TX", ["Bexar"], 6),
    ("Phoenix", "AZ", ["Maricopa"], 6),
    ("Charleston", "SC", ["Charleston", "Berkeley", "Dorchester"], 4),
]
# Leads outside every market: a list bought for a neighbouring county, a referral.
OUTSIDE_MARKETS: list[tuple[str, list[str]]] = [
    ("FL", ["Sarasota", "Manatee", "Lee", "Volusia", "Brevard"]),
    ("GA", ["Chatham"]),
]
# Where absentee owners live when they are out of state.
OWNER_STATES = ["NY", "NJ", "IL", "CA", "OH", "PA", "MI", "MA", "NC", "VA", "CO", "WA"]
# Price per square foot of each market (estimated value), before the noise.
PRICE_PER_SQFT = {
    "Tampa Bay": 215,
    "Central Florida": 205,
    "Jacksonville": 175,
    "Atlanta Metro": 190,
    "Dallas-Fort Worth": 180,
    "San Antonio": 150,
    "Phoenix": 235,
    "Charleston": 260,
    None: 195,
}

STREET_WORDS = """
ALDER AMBERWOOD ANHINGA ARBOR ASHFORD ASPEN AZALEA BANYAN BARCLAY BAYBERRY BAYSHORE BEACON
BIRCHWOOD BLACKWATER BLUEBONNET BLUEGILL BRAMBLE BRIARCLIFF BRIGHTWATER BROOKHAVEN BUCKEYE
BUTTONWOOD CALLOWAY CAMELLIA CANDLEWOOD CARDINAL CARRIAGE CASCADE CEDAR CHAPEL CHESTNUT
CLEARWATER CLOVERDALE COPPERFIELD CORAL COTTONWOOD COVINGTON CRESTVIEW CYPRESS DAWNRIDGE
DOGWOOD DOVETAIL DRIFTWOOD DUNMORE EAGLECREST EASTLAKE EGRET ELDERBERRY ELM EMBER FAIRHAVEN
FALCON FERNWOOD FIELDSTONE FIRETHORN FOXGLOVE FOXHALL GARDENIA GLENBROOK GOLDENROD GRANADA
GREENBRIAR GULFVIEW HACKBERRY HARBOR HAWTHORN HAZELWOOD HERON HICKORY HIGHLAND HOLLYHOCK
HONEYSUCKLE HUNTINGTON IBIS INDIGO IRONWOOD IVYBRIDGE JASMINE JUNIPER KESTREL KINGFISHER
LAKEVIEW LANTANA LARKSPUR LAUREL LOBLOLLY LONGLEAF MAGNOLIA MALLARD MANGROVE MAPLE
MEADOWLARK MESQUITE MIMOSA MOCKINGBIRD MULBERRY NIGHTINGALE OAKMONT
OLEANDER ORCHARD OSPREY PALMETTO PARKSIDE PEACHTREE PECAN PELICAN PERSIMMON
PINECREST PINEHURST PLANTATION POINCIANA POPLAR PRAIRIE QUAIL QUILLFEATHER RAINTREE RAVENWOOD
REDBUD RIDGEWOOD RIVERBEND ROSEWOOD SABAL SADDLEBROOK SANDPIPER SASSAFRAS SAWGRASS SEAGRAPE
SHOREHAM SILVERLEAF SORREL SPARROW STILLWATER STONEBRIDGE SUMMERFIELD
SUNSET SWEETGUM SYCAMORE TAMARIND TANGLEWOOD THISTLE THORNBERRY TIMBERLANE TUPELO
VERBENA WATERLEAF WILLOW WINDCHIME WINDSOR WISTERIA WOODLARK YAUPON
"""
STREET_NAMES = sorted(
    {
        *STREET_WORDS.split(),
        "LIVE OAK",
        "MARSH WREN",
        "MOSSY OAK",
        "ORANGE BLOSSOM",
        "SHADY GROVE",
        "SPANISH MOSS",
        "TWIN PONDS",
        "WHISPERING PINES",
        "MARTIN LUTHER KING JR",
        "1ST",
        "2ND",
        "3RD",
        "4TH",
        "5TH",
        "7TH",
        "9TH",
        "12TH",
        "15TH",
        "22ND",
    }
)
# USPS Publication 28 suffix abbreviations, weighted toward the common ones.
STREET_SUFFIXES = [
    ("ST", 18),
    ("AVE", 16),
    ("DR", 14),
    ("LN", 10),
    ("RD", 10),
    ("CT", 8),
    ("WAY", 7),
    ("BLVD", 4),
    ("CIR", 5),
    ("PL", 4),
    ("TRL", 4),
]
DIRECTIONALS = ["N", "S", "E", "W"]

FIRST_NAMES = """
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty
Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua
Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald
Dorothy Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Amy Gary Kathleen Nicholas
Angela Eric Shirley Jonathan Brenda Stephen Pamela Larry Nicole Justin Anna Scott Samantha
Brandon Katherine Benjamin Christine Samuel Debra Gregory Rachel Alexander Carolyn Patrick
Janet Frank Maria Raymond Heather Jack Diane Dennis Julie Jerry Joyce Tyler Evelyn Aaron
Frances Jose Joan Adam Christina Nathan Kelly Henry Victoria Zachary Lauren Douglas Martha
Peter Gloria Kyle Teresa Noah Ann Ethan Sara Jeremy Madison Walter Kathryn Christian Janice
Keith Jean Roger Alice Terry Judith Harold Sophia Carl Grace Arthur Denise Lawrence Amber
Luis Marilyn Carlos Beverly Juan Danielle Miguel Theresa Jorge Diana Alejandro Rosa Hector
Yolanda Ricardo Lucia Andre Tamika DeShawn Latoya Marcus Keisha Darnell Ebony Terrence
Minh Thao Wei Mei Rajesh Priya Tuan Linh Hiroshi Yuki Olumide Ngozi
"""
LAST_NAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo
Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell
Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson
Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera
Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez
McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns
Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt
Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer
Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant
Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight
Okafor Adeyemi Pham Huynh Yamamoto Kowalski Novak Schultz Lindqvist Oyelaran Delacroix
"""
FIRST = FIRST_NAMES.split()
LAST = LAST_NAMES.split()

ENTITY_WORDS = [
    "Bayside",
    "Blue Heron",
    "Cypress Point",
    "Gulfstream",
    "Harborline",
    "Keystone",
    "Lone Star",
    "Magnolia",
    "Northstar",
    "Oakhurst",
    "Palmetto",
    "Peachtree",
    "Redstone",
    "Sandhill",
    "Silver Oak",
    "Southbridge",
    "Sunbelt",
    "Suncoast",
    "Tidewater",
    "Trailhead",
    "Westbrook",
    "Whitestone",
]
LLC_SUFFIXES = [
    "Holdings LLC",
    "Properties LLC",
    "Capital LLC",
    "Rentals LLC",
    "Investments LLC",
    "Realty LLC",
]
TRUST_FORMS = ["{last} Family Trust", "{last} Living Trust", "{first} {last} Revocable Trust"]

EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]

TAG_RULES = [
    "absentee",
    "out_of_state",
    "vacant",
    "tax_delinquent",
    "pre_foreclosure",
    "probate",
    "high_equity",
    "free_and_clear",
    "tired_landlord",
    "code_violation",
    "long_tenure",
    "inherited",
]

LIST_SOURCES = [
    "Hillsborough absentee owners",
    "Tax delinquent, 2+ years",
    "Probate filings, last 90 days",
    "Pre-foreclosure / lis pendens",
    "High equity, 20+ years owned",
    "Driving for dollars",
    "Code violations export",
    "Vacant, USPS flagged",
]

# Why a lead moved, by the stage it moved to.
STAGE_REASONS: dict[str, list[str]] = {
    "new": ["Recycled: worth another try", "Owner asked us to call back next quarter"],
    "outreach": [
        "Added to the absentee-owner cadence",
        "Skip trace came back with two mobiles",
        "Mailer round 1 sent",
        "Started text outreach",
        "Seller wants to wait; back to follow-up",
    ],
    "qualified": [
        "Owner confirmed interest in selling",
        "Motivated: relocating for work",
        "Inherited, heirs want a quick sale",
        "Behind on taxes, open to an offer",
        "Tired landlord, tenant leaving",
        "Offer too low for now; re-qualifying",
    ],
    "negotiation": [
        "Walkthrough done, verbal offer made",
        "Seller countered",
        "Sent written offer",
        "Comps pulled, offer at 70% of ARV",
    ],
    "under_contract": ["Purchase agreement signed", "Contract signed, title ordered"],
    "closed_won": ["Closed at the title company", "Assigned to buyer, fee collected"],
    "closed_lost": [
        "Listed with an agent",
        "Sold to another investor",
        "Price gap too wide",
        "Owner decided to keep it",
        "Title issues could not be cleared",
        "Stopped responding",
    ],
    "archived": [
        "Duplicate record",
        "Bad data: wrong owner",
        "No response after 8 touches",
        "Owner asked to be removed",
        "Commercial zoning, out of buy box",
    ],
}

NOTES_EARLY = [
    "Left a voicemail for {first}. Mailbox was full on the second number.",
    "Drove by: overgrown yard, mail piling up, looks vacant.",
    "Skip trace returned {phones} numbers; the landline is disconnected.",
    "Neighbour says {first} moved to {owner_city} a couple of years ago.",
    "Texted {first}, no reply yet. Try a call Thursday evening.",
    "County shows two years of unpaid taxes on this parcel.",
    "Roof looks original, tarp on the back side. Budget for a full replacement.",
    "Owner's mailing address is out of state; probably a rental.",
]
NOTES_WORKED = [
    "Spoke with {first}: inherited the house from {their} mother, would sell if we close in 30 days.",
    "{first} wants around ${ask}k. Comps support ${arv}k ARV after repairs.",
    "Walkthrough booked for {day} at 10am. Bring the moisture meter.",
    "Repairs estimate ${repairs}k: kitchen, HVAC, flooring throughout.",
    "Tenant on month-to-month, pays ${rent}; {first} is tired of managing it.",
    "{first} is comparing our offer with an agent's listing estimate.",
    "Title search ordered; {first} mentioned an old HELOC that may still be open.",
    "Sent the written offer by email; {first} will review with {their} spouse.",
    "Foundation crack in the garage slab, get an engineer's letter before closing.",
    "Two heirs agree, the third lives in {owner_city} and has not answered yet.",
]
NOTES_CLOSED = [
    "Closed. Assignment to {buyer} went through, wire received.",
    "Lost to a retail listing; {first} got a higher number from an agent.",
    "Contract cancelled in inspection period: sewer line collapsed.",
]
BUYERS = ["Hartwell Homes", "Gulf Coast Rentals", "Redline Renovations", "Blue Door Capital", "Parkway Flips"]

TASK_TITLES: dict[str, list[str]] = {
    "new": ["Skip trace owner", "Verify owner phone numbers", "Drive by and photograph"],
    "outreach": [
        "Call back {first}",
        "Second text to {first}",
        "Send mailer round 2",
        "Try the landline in the evening",
        "Follow up on voicemail",
    ],
    "qualified": [
        "Pull comps for {street}",
        "Schedule walkthrough with {first}",
        "Estimate repairs",
        "Call {first} about timeline",
    ],
    "negotiation": [
        "Send written offer to {first}",
        "Answer {first}'s counter",
        "Get engineer's letter on foundation",
        "Confirm heirs' signatures",
    ],
    "under_contract": [
        "Order title search",
        "Send contract to title company",
        "Schedule buyer walkthrough",
        "Collect earnest money receipt",
    ],
    "closed": ["Send thank-you card to {first}", "Upload closing statement"],
}
TASK_DESCRIPTIONS = [
    None,
    None,
    "Owner prefers calls after 5pm.",
    "Use the mobile ending in {last4}; the other number is wrong.",
    "Mention the cash offer and the 21-day close.",
    "See the last note for the numbers.",
]
