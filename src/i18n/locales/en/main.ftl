# Layout
site-tagline = Reuse first – your organisation's internal marketplace
skip-to-content = Skip to content
nav-main-label = Main menu
nav-start = Home
language-switcher-label = Choose language
footer-about = Bruka is an internal marketplace for reusing furniture and equipment in the public sector.
footer-source = Open source
footer-method = How we count

# Start page
home-title = Reuse first
home-lead = Before anyone buys new: see whether another unit has what is needed. Every reused item saves money and avoids the emissions of making a new one.
home-how-heading = How it works
home-how-post = List furniture and equipment your unit no longer needs, with photos and pickup details.
home-how-claim = Find and reserve what your unit needs, collect it and confirm the handover.
home-how-count = Every handover counts as an avoided purchase: money saved and kilograms of CO₂ equivalents avoided, traceable to a source.
home-categories-heading = Categories and emission factors
home-categories-intro = The factors are the emissions of producing and distributing a new item (not its use), at the conservative end of published ranges.
categories-empty = There are no categories yet.
categories-col-category = Category
categories-col-factor = Avoided emissions
categories-col-price = New price
categories-col-source = Source
factor-per-item = { $kg } kg CO₂e per item
factor-per-kg = { $kg } kg CO₂e per kg
factor-per-kg-typical = { $kg } kg CO₂e per kg, about { $total } kg CO₂e at a typical weight of { $weight } kg
factor-missing = No factor
price-estimate = about { $amount } SEK
price-missing = No price given
estimate-badge = estimate
factor-source-show = Show source
factor-version = Factor table { $version }
method-heading = How we count
method-formula = Avoided emissions = D × (emissions of a new item − refurbishment − transport). Money saved = D × new price − internal costs.
method-displacement = D is how likely the receiver would otherwise have bought new: yes 1.0, unsure 0.5, no 0. Avoided emissions are reported separately and never counted as an offset against the organisation's own emissions.

# Errors
error-not-found-title = Page not found
error-not-found-text = The address may be mistyped, or the page has been removed.
error-bad-request-title = Something in the request is not right
error-bad-request-text = Check the details and try again.
error-server-title = Something went wrong on our side
error-server-text = Nothing you did was saved halfway. Please try again in a moment.
error-unavailable-title = The service is temporarily unavailable
error-unavailable-text = The database is not answering right now. Please try again in a moment.
error-generic-title = Something went wrong
error-generic-text = Try again, or go back to the start page.
error-back-home = Back to the start page
error-request-id = Error code for support: { $id }

# Categories
category-mobler = Furniture
category-mobler-kontorsstol = Office chair
category-mobler-besoksstol-och-skolstol = Visitor and school chair
category-mobler-skrivbord = Desk
category-mobler-bord = Table
category-mobler-hurts-och-forvaring = Pedestal and storage
category-mobler-skap = Cabinet
category-mobler-soffa = Sofa
category-it = IT
category-it-barbar-dator = Laptop
category-it-skarm = Monitor
category-it-stationar-dator = Desktop computer
category-it-surfplatta = Tablet
category-it-mobiltelefon = Mobile phone
category-it-skrivare = Printer
category-vitvaror = White goods
category-vitvaror-kylskap = Fridge
category-vitvaror-diskmaskin = Dishwasher
category-vitvaror-tvattmaskin = Washing machine
category-vitvaror-spis-och-ugn = Cooker and oven
category-elektronik = Electronics
category-elektronik-sma-elapparater = Small electrical appliances
category-elektronik-stora-elapparater = Large electrical appliances
category-ovrigt = Other
category-ovrigt-ovrigt = Other
